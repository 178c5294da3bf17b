package dev.sluice.egress.smtp;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for client futures in tests (generous: it only waits, the outcome is asserted separately). */
final class Await {
    private Await() {}

    static <T> T done(CompletableFuture<T> f) {
        try {
            return f.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw new AssertionError("future failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future not done: " + e, e);
        }
    }

    /** The exception the future failed with. */
    static Throwable failure(CompletableFuture<?> f) {
        try {
            Object v = f.get(2, TimeUnit.MINUTES);
            throw new AssertionError("expected a failure, got " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("future not done: " + e, e);
        }
    }
}
