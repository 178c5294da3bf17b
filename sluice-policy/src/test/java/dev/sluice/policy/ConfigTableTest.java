package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConfigTableTest {
    private static final ConfigSchema KEEPALIVE = ConfigSchema.of("tcp_keepalive",
            Set.of("enabled", "time", "interval", "retries"), Set.of());
    private static final ConfigSchema LISTENER = ConfigSchema.of("start_proxy_listener",
            Set.of("listen", "timeout", "use_splice", "tls_private_key", "tcp_keepalive", "names", "backlog"),
            Set.of("hostname", "require_auth"));

    @Test
    void typedGettersWithDefaults() {
        ConfigTable t = ConfigTable.of(LISTENER, Map.of(
                "listen", "127.0.0.1:1080", "timeout", "30 seconds", "use_splice", false,
                "tls_private_key", Map.of("key_data", "k"), "names", List.of("a", "b"), "backlog", 128L,
                "tcp_keepalive", Map.of("enabled", true, "time", "5m")));
        assertThat(t.requireString("listen")).isEqualTo("127.0.0.1:1080");
        assertThat(t.duration("timeout", Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(30));
        assertThat(t.bool("use_splice", true)).isFalse();
        assertThat(t.integer("backlog", 0)).isEqualTo(128);
        assertThat(t.stringList("names", List.of())).containsExactly("a", "b");
        assertThat(t.keySource("tls_private_key")).containsInstanceOf(KeySource.Inline.class);
        ConfigTable keepalive = t.table("tcp_keepalive", KEEPALIVE);
        assertThat(keepalive.bool("enabled", false)).isTrue();
        assertThat(keepalive.duration("time", null)).isEqualTo(Duration.ofMinutes(5));
        assertThat(keepalive.integer("retries", 3)).isEqualTo(3);

        ConfigTable empty = ConfigTable.of(LISTENER, Map.of());
        assertThat(empty.duration("timeout", Duration.ofMinutes(1))).isEqualTo(Duration.ofMinutes(1));
        assertThat(empty.bool("use_splice", true)).isTrue();
        assertThat(empty.keySource("tls_private_key")).isEmpty();
        assertThat(empty.stringList("names", List.of("x"))).containsExactly("x");
        assertThat(empty.table("tcp_keepalive", KEEPALIVE).bool("enabled", true)).isTrue();
    }

    @Test
    void emptyLuaTableIsAnEmptyList() {
        assertThat(ConfigTable.of(LISTENER, Map.of("names", Map.of())).stringList("names", List.of("x"))).isEmpty();
    }

    @Test
    void unknownKeyIsRejectedByNameWithTheTable() {
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("lisen", "127.0.0.1:1080")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("start_proxy_listener: unknown key 'lisen'");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("tcp_keepalive", Map.of("enabeld", true)))
                        .table("tcp_keepalive", KEEPALIVE))
                .hasMessage("start_proxy_listener.tcp_keepalive: unknown key 'enabeld'");
    }

    @Test
    void wrongTypesNameKeyAndExpectedType() {
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("use_splice", "yes")).bool("use_splice", true))
                .hasMessage("start_proxy_listener: key 'use_splice' must be a boolean, got string");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("listen", 1080L)).requireString("listen"))
                .hasMessage("start_proxy_listener: key 'listen' must be a string, got integer");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("backlog", 1.5)).integer("backlog", 0))
                .hasMessage("start_proxy_listener: key 'backlog' must be an integer, got number");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("names", List.of("a", 1L))).stringList("names", null))
                .hasMessage("start_proxy_listener: key 'names' must be a list of strings, got list");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of("timeout", "soon")).duration("timeout", null))
                .hasMessageStartingWith("start_proxy_listener: key 'timeout': invalid duration 'soon'");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, List.of("x")))
                .hasMessage("start_proxy_listener: expected a table of key = value, got a list");
        assertThatThrownBy(() -> ConfigTable.of(LISTENER, Map.of()).requireString("listen"))
                .hasMessage("start_proxy_listener: missing required key 'listen'");
    }

    @Test
    void ignoredKeyIsLoggedOncePerProcessAndListed() {
        ConfigSchema schema = ConfigSchema.of("ignored_key_test_table", Set.of("listen"), Set.of("hostname", "require_auth"));
        Logger logger = (Logger) LoggerFactory.getLogger("policy");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            ConfigTable.of(schema, Map.of("listen", "x", "hostname", "mx.example"));
            ConfigTable.of(schema, Map.of("listen", "y", "hostname", "mx2.example", "require_auth", true));
            ConfigTable.of(schema, Map.of("listen", "z", "hostname", "mx3.example"));
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.startsWith("ignored_key_test_table"))
                .containsExactlyInAnyOrder(
                        "ignored_key_test_table: key 'hostname' is accepted for KumoMTA compatibility but ignored by Sluice",
                        "ignored_key_test_table: key 'require_auth' is accepted for KumoMTA compatibility but ignored by Sluice");
        assertThat(IgnoredKeys.list())
                .filteredOn(k -> k.table().equals("ignored_key_test_table"))
                .extracting(IgnoredKeys.IgnoredKey::toString)
                .containsExactly("ignored_key_test_table.hostname", "ignored_key_test_table.require_auth");
        assertThat(IgnoredKeys.list()).isSortedAccordingTo(
                java.util.Comparator.comparing(IgnoredKeys.IgnoredKey::table).thenComparing(IgnoredKeys.IgnoredKey::key));
    }
}
