package dev.sluice.mta.dispatch;

import dev.sluice.mta.queue.ReadyMessage;
import java.util.concurrent.atomic.AtomicBoolean;

/** A submitted message while the dispatcher holds it; {@link #claim()} makes its completion happen once. */
final class Entry {
    final ReadyMessage message;
    /** Times it went back to the front of its queue because a reused connection had died before MAIL FROM. */
    int requeues;
    private final AtomicBoolean done = new AtomicBoolean();

    Entry(ReadyMessage message) {
        this.message = message;
    }

    /** True for the first caller only. */
    boolean claim() {
        return done.compareAndSet(false, true);
    }

    boolean isDone() {
        return done.get();
    }
}
