package dev.sluice.mta.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueNameTest {
    private static Message message(Map<String, Object> meta) {
        return new Message(MessageId.next(Instant.now()), "a@b", "User@Example.COM", meta, new byte[0]);
    }

    @Test
    void partsComeFromMeta() {
        assertThat(QueueName.of(message(Map.of())).name()).isEqualTo("example.com");
        assertThat(QueueName.of(message(Map.of("tenant", "acme"))).name()).isEqualTo("acme@example.com");
        assertThat(QueueName.of(message(Map.of("campaign", "spring"))).name()).isEqualTo("spring:@example.com");
        assertThat(QueueName.parse("spring:@example.com"))
                .isEqualTo(new QueueName("spring:@example.com", "spring", null, "example.com", null));
        QueueName all = QueueName.of(message(Map.of("tenant", "acme", "campaign", "spring",
                "routing_domain", "relay.example.net")));
        assertThat(all.name()).isEqualTo("spring:acme@example.com!relay.example.net");
        assertThat(all.deliveryDomain()).isEqualTo("relay.example.net");
    }

    @Test
    void queueMetaOverridesAndNullDiscards() {
        QueueName q = QueueName.of(message(Map.of("tenant", "x", "queue", "c:t@other.org!r.org")));
        assertThat(q).isEqualTo(new QueueName("c:t@other.org!r.org", "c", "t", "other.org", "r.org"));
        assertThat(QueueName.of(message(Map.of("queue", "null"))).isNull()).isTrue();
        assertThat(QueueName.of(message(Map.of())).isNull()).isFalse();
    }

    @Test
    void aNameWithoutAtIsAllDomainEvenWithColons() {
        // the shaping helper's TSA publisher queue, named after the daemon's URL
        assertThat(QueueName.parse("http://127.0.0.1:8008.tsa.kumomta"))
                .isEqualTo(new QueueName("http://127.0.0.1:8008.tsa.kumomta", null, null, "http://127.0.0.1:8008.tsa.kumomta", null));
        assertThat(QueueName.parse("t@d.org!a!b")).isEqualTo(new QueueName("t@d.org!a!b", null, "t", "d.org", "a!b"));
    }
}
