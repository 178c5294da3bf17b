package dev.sluice.policy.throttle;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one throttle check decided, with KumoMTA's fields.
 *
 * @param throttled  true when the operation must not go now (nothing was counted)
 * @param limit      how many may go at once (the burst)
 * @param remaining  how many more may go now
 * @param resetAfter until the throttle is back to its full burst
 * @param retryAfter until the operation may go, or null when it was allowed
 */
public record ThrottleResult(boolean throttled, long limit, long remaining, Duration resetAfter, Duration retryAfter) {
    /**
     * The Lua table {@code throttle:throttle()} returns: {@code throttled}, {@code limit}, {@code remaining}, and
     * {@code reset_after} / {@code retry_after} in seconds (fractions kept; {@code retry_after} nil when allowed).
     */
    public Map<String, Object> toLua() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("throttled", throttled);
        t.put("limit", limit);
        t.put("remaining", remaining);
        t.put("reset_after", seconds(resetAfter));
        if (retryAfter != null) {
            t.put("retry_after", seconds(retryAfter));
        }
        return t;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
