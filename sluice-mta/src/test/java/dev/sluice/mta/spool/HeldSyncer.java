package dev.sluice.mta.spool;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Holds the first durable step back until {@link #release()}; counts the steps that ran. */
final class HeldSyncer implements Syncer {
    final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    final AtomicInteger finished = new AtomicInteger();

    @Override
    public void commit(DurableStep step) throws Exception {
        entered.countDown();
        released.await();
        step.run();
        finished.incrementAndGet();
    }

    void release() {
        released.countDown();
    }

    /** Releases when a try block ends, before the spool (declared earlier) closes. */
    interface Release extends AutoCloseable {
        @Override
        void close();
    }
}
