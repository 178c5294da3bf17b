package dev.sluice.mta.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.egress.QueueConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    private static QueueConfig config(String retry, String max) {
        return max == null ? QueueConfig.parse(Map.of("retry_interval", retry))
                : QueueConfig.parse(Map.of("retry_interval", retry, "max_retry_interval", max));
    }

    @Test
    void doublesFromTheRetryIntervalUpToTheCap() {
        QueueConfig c = config("20m", "2h");
        assertThat(RetrySchedule.base(c, 1)).isEqualTo(Duration.ofMinutes(20));
        assertThat(RetrySchedule.base(c, 2)).isEqualTo(Duration.ofMinutes(40));
        assertThat(RetrySchedule.base(c, 3)).isEqualTo(Duration.ofMinutes(80));
        assertThat(RetrySchedule.base(c, 4)).isEqualTo(Duration.ofHours(2));
        assertThat(RetrySchedule.base(c, 500)).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void withoutACapItKeepsDoublingWithoutOverflow() {
        QueueConfig c = config("1s", null);
        assertThat(RetrySchedule.base(c, 11)).isEqualTo(Duration.ofSeconds(1024));
        assertThat(RetrySchedule.base(c, 1000)).isPositive();
    }

    @Test
    void jitterStaysWithinTenPercent() {
        QueueConfig c = config("100s", null);
        assertThat(new RetrySchedule(() -> 0.0).delay(c, 1)).isEqualTo(Duration.ofSeconds(90));
        assertThat(new RetrySchedule(() -> 0.5).delay(c, 1)).isEqualTo(Duration.ofSeconds(100));
        assertThat(new RetrySchedule(() -> 0.999999).delay(c, 1)).isBetween(Duration.ofSeconds(109), Duration.ofSeconds(110));
    }
}
