package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    @Test
    void burstsUpToTheLimitThenPacesAtTheRate() {
        long t = 1_000;
        TokenBucket b = new TokenBucket(ThrottleSpec.parse("2/s"), t);
        assertThat(b.take(t)).isZero();
        assertThat(b.take(t)).isZero();
        long wait = b.take(t);
        assertThat(wait).isBetween(TimeUnit.MILLISECONDS.toNanos(499), TimeUnit.MILLISECONDS.toNanos(501));
        assertThat(b.take(t + TimeUnit.MILLISECONDS.toNanos(500))).isZero();
        assertThat(b.take(t + TimeUnit.MILLISECONDS.toNanos(500))).isPositive();
    }
}
