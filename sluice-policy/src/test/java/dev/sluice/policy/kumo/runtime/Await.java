package dev.sluice.policy.kumo.runtime;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a generous bound (a failing test ends, a passing one does not wait for the bound). */
final class Await {
    private Await() {}

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("gave up waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }
}
