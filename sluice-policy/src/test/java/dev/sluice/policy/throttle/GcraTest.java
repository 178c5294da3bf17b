package dev.sluice.policy.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.egress.ThrottleSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The node-local GCRA, driven by a clock the test moves. */
class GcraTest {
    private static final long MS = 1_000_000;

    @Test
    void theBurstGoesAtOnceThenOneEachInterval() {
        Gcra g = new Gcra();
        ThrottleSpec spec = ThrottleSpec.parse("10/s");
        for (int i = 0; i < 10; i++) assertThat(g.throttle("k", spec, 1, 1, 0).throttled()).isFalse();
        ThrottleResult refused = g.throttle("k", spec, 1, 1, 0);
        assertThat(refused.throttled()).isTrue();
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(100));
        assertThat(g.throttle("k", spec, 1, 1, 99 * MS).throttled()).isTrue();
        assertThat(g.throttle("k", spec, 1, 1, 100 * MS).throttled()).isFalse();
        assertThat(g.throttle("k", spec, 1, 1, 100 * MS).throttled()).isTrue();
        assertThat(g.throttle("other", spec, 1, 1, 100 * MS).throttled()).isFalse(); // one store per key
    }

    @Test
    void maxBurstOnePacesEveryIntervalAndAShareSlowsTheRate() {
        Gcra g = new Gcra();
        ThrottleSpec paced = ThrottleSpec.parse("60/minute,max_burst=1");
        assertThat(g.throttle("p", paced, 1, 1, 0).throttled()).isFalse();
        assertThat(g.throttle("p", paced, 1, 1, 999 * MS).retryAfter()).isEqualTo(Duration.ofMillis(1));
        assertThat(g.throttle("p", paced, 1, 1, 1000 * MS).throttled()).isFalse();

        ThrottleSpec spec = ThrottleSpec.parse("10/s");
        int allowed = 0;
        for (long t = 0; t < 1000 * MS; t += MS) {
            if (!g.throttle("half", spec, 1, 2, t).throttled()) allowed++;
        }
        assertThat(allowed).as("half of 10/s within a second: a burst of 5, then at 200, 400, 600, 800 ms").isEqualTo(9);
    }
}
