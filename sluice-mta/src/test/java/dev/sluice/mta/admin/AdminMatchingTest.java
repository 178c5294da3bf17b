package dev.sluice.mta.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.queue.QueueName;
import dev.sluice.policy.ConfigException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which queues an admin entry covers, and KumoMTA's request bodies, as the routes and the Lua functions read them. */
class AdminMatchingTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    private static AdminCriteria criteria(String campaign, String tenant, String domain, String routing,
                                          String... queues) {
        return new AdminCriteria(campaign, tenant, domain, routing, List.of(queues));
    }

    @Test
    void criteriaMatchEachPartExactlyAndQueueNamesWin() {
        QueueName plain = QueueName.parse("example.com");
        QueueName full = QueueName.parse("spring:acme@example.com!relay.example.net");

        assertThat(criteria(null, null, "example.com", null).matches(plain)).isTrue();
        assertThat(criteria(null, null, "example.com", null).matches(full)).isTrue();
        assertThat(criteria(null, "acme", null, null).matches(plain)).isFalse(); // no tenant is not any tenant
        assertThat(criteria("spring", "acme", "example.com", "relay.example.net").matches(full)).isTrue();
        assertThat(criteria("autumn", null, "example.com", null).matches(full)).isFalse();
        assertThat(criteria(null, null, "other.com", null, "example.com").matches(plain)).isTrue();
        assertThat(criteria(null, null, "example.com", null, "other.com").matches(plain)).isFalse();
        assertThat(criteria(null, null, null, null).matches(full)).isTrue();
        assertThat(criteria(null, null, null, null).everything()).isTrue();
    }

    @Test
    void aReadyQueueNameMatchesWithOrWithoutItsSuffixAndABareSiteMatchesEverySource() {
        String ready = "ip-1->mx_list:10.0.0.5:25@smtp_client";
        assertThat(suspension("ip-1->mx_list:10.0.0.5:25").matches(ready)).isTrue();
        assertThat(suspension(ready).matches(ready)).isTrue();
        assertThat(suspension("mx_list:10.0.0.5:25").matches(ready)).isTrue();
        assertThat(suspension("mx_list:10.0.0.5:25").matches("ip-2->mx_list:10.0.0.5:25@smtp_client")).isTrue();
        assertThat(suspension("ip-2->mx_list:10.0.0.5:25").matches(ready)).isFalse();
        assertThat(suspension("mx_list:10.0.0.5").matches(ready)).isFalse();
        assertThat(suspension("mx_list:10.0.0.5:25").matches("ip-1->q@example.com@lua:make.webhook")).isFalse();
    }

    private static AdminEntry.ReadySuspension suspension(String name) {
        return new AdminEntry.ReadySuspension(UUID.randomUUID(), name, "r", NOW.plusSeconds(60));
    }

    @Test
    void expiresWinsOverDurationWhichDefaultsToFiveMinutes() {
        assertThat(AdminRequests.suspend(Map.of("reason", "r"), NOW).expires()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(AdminRequests.suspend(Map.of("reason", "r", "duration", "1h 30m"), NOW).expires())
                .isEqualTo(NOW.plus(Duration.ofMinutes(90)));
        assertThat(AdminRequests.suspend(Map.of("reason", "r", "duration", 90), NOW).expires())
                .isEqualTo(NOW.plusSeconds(90));
        assertThat(AdminRequests.bounce(Map.of("reason", "r", "duration", "1h", "expires", "2026-12-06T13:00:00+01:00"),
                NOW).expires()).isEqualTo(NOW);
        assertThatThrownBy(() -> AdminRequests.suspendReadyQueue(Map.of("reason", "r", "name", "a->b",
                "expires", "tomorrow"), NOW)).isInstanceOf(ConfigException.class).hasMessageContaining("RFC 3339");
        assertThatThrownBy(() -> AdminRequests.bounce(Map.of("domain", "x"), NOW))
                .isInstanceOf(ConfigException.class).hasMessage("bounce: 'reason' is required");
    }

    @Test
    void durationsAreShownAsHumantimeDoes() {
        assertThat(AdminRequests.formatDuration(Duration.ofSeconds(3_899))).isEqualTo("1h 4m 59s");
        assertThat(AdminRequests.formatDuration(Duration.ofDays(2))).isEqualTo("2d");
        assertThat(AdminRequests.formatDuration(Duration.ofMillis(-5))).isEqualTo("0s");
    }
}
