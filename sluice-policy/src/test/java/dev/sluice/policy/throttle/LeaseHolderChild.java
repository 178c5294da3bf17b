package dev.sluice.policy.throttle;

import java.util.Map;

/**
 * A process that takes one lease of a shared connection limit and holds it (renewing) until it is killed:
 * {@code LeaseHolderChild REDIS_URL NAME LIMIT}; prints {@code HELD} once it has it.
 */
public final class LeaseHolderChild {
    private LeaseHolderChild() {}

    public static void main(String[] args) throws Exception {
        Throttles throttles = new Throttles();
        throttles.configure(RedisConfig.parse(Map.of("node", args[0], "lease_duration", "2s"), "child", true));
        throttles.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (throttles.lease(args[1], Long.parseLong(args[2])).join() instanceof LeaseAttempt.Granted) {
                System.out.println("HELD");
                System.out.flush();
                Thread.sleep(60_000);
                return;
            }
            Thread.sleep(100);
        }
        System.exit(3);
    }
}
