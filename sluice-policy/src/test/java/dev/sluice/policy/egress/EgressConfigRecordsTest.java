package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.IgnoredKeys;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** make_egress_path, make_queue_config and make_egress_pool tables, parsed as the Lua runtime hands them over. */
class EgressConfigRecordsTest {

    @Test
    void pathDefaultsAreKumoMtasCodeDefaults() throws Exception {
        EgressPath p = EgressPath.parse(null);
        assertThat(p).isEqualTo(EgressPath.DEFAULT);
        assertThat(p.connectionLimit()).isEqualTo(32);
        assertThat(p.maxDeliveriesPerConnection()).isEqualTo(1024);
        assertThat(p.maxRecipientsPerBatch()).isEqualTo(100);
        assertThat(p.enableTls()).isEqualTo(TlsMode.Opportunistic);
        assertThat(p.enablePipelining()).isTrue();
        assertThat(p.enableRset()).isTrue();
        assertThat(p.smtpPort()).isEqualTo(25);
        assertThat(p.ehloDomain()).isEmpty();
        assertThat(p.ipLookupStrategy()).isEqualTo(IpLookupStrategy.Ipv4AndIpv6);
        assertThat(p.maxConnectionRate()).isEmpty();
        assertThat(p.refreshInterval()).isEqualTo(Duration.ofSeconds(60));
        for (String ip : List.of("127.0.0.1", "127.255.0.9", "::1", "0.0.0.0", "::")) {
            assertThat(p.prohibitedHosts().contains(InetAddress.getByName(ip))).as(ip).isTrue();
        }
        assertThat(p.prohibitedHosts().contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThat(p.skipHosts().isEmpty()).isTrue();
        SmtpTimeouts t = p.timeouts();
        assertThat(List.of(t.connect(), t.banner(), t.ehlo(), t.starttls(), t.auth(), t.mailFrom(), t.rcptTo(), t.data(),
                t.dataDot(), t.rset(), t.idle()))
                .containsExactly(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(300),
                        Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(300), Duration.ofSeconds(300),
                        Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    @Test
    void pathReadsEveryTypedKey() throws Exception {
        Map<String, Object> table = new HashMap<>();
        table.put("connection_limit", "local:1,000");
        table.put("max_deliveries_per_connection", 10L);
        table.put("max_recipients_per_batch", 3L);
        table.put("enable_tls", "RequiredInsecure");
        table.put("enable_pipelining", false);
        table.put("enable_rset", false);
        table.put("smtp_port", 2525L);
        table.put("ehlo_domain", "mta.example.com");
        table.put("prohibited_hosts", Map.of());
        table.put("skip_hosts", List.of("10.0.0.0/8", "2001:db8::/32"));
        table.put("ip_lookup_strategy", "Ipv4Only");
        table.put("max_connection_rate", "10/s");
        table.put("max_message_rate", "1,000/hr");
        table.put("connect_timeout", "5s");
        table.put("banner_timeout", 7L);
        table.put("data_dot_timeout", "2m");
        table.put("idle_timeout", "1 minute");
        table.put("refresh_interval", "5m");
        EgressPath p = EgressPath.parse(table);
        assertThat(p.connectionLimit()).isEqualTo(1000);
        assertThat(p.maxDeliveriesPerConnection()).isEqualTo(10);
        assertThat(p.maxRecipientsPerBatch()).isEqualTo(3);
        assertThat(p.enableTls()).isEqualTo(TlsMode.RequiredInsecure);
        assertThat(p.enableTls().allowsInsecure()).isTrue();
        assertThat(p.enablePipelining()).isFalse();
        assertThat(p.enableRset()).isFalse();
        assertThat(p.smtpPort()).isEqualTo(2525);
        assertThat(p.ehloDomain()).contains("mta.example.com");
        assertThat(p.prohibitedHosts().contains(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(p.skipHosts().contains(InetAddress.getByName("10.1.2.3"))).isTrue();
        assertThat(p.skipHosts().contains(InetAddress.getByName("2001:db8:1::5"))).isTrue();
        assertThat(p.skipHosts().contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(p.ipLookupStrategy()).isEqualTo(IpLookupStrategy.Ipv4Only);
        assertThat(p.maxConnectionRate()).contains(new ThrottleSpec(10, Duration.ofSeconds(1), false));
        assertThat(p.maxMessageRate()).contains(new ThrottleSpec(1000, Duration.ofHours(1), false));
        assertThat(p.timeouts().connect()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.timeouts().banner()).isEqualTo(Duration.ofSeconds(7));
        assertThat(p.timeouts().dataDot()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.timeouts().idle()).isEqualTo(Duration.ofMinutes(1));
        assertThat(p.timeouts().ehlo()).isEqualTo(Duration.ofSeconds(300));
        assertThat(p.refreshInterval()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void everyOtherKumoMtaPathKeyIsAcceptedAndRecordedAsIgnored() {
        Map<String, Object> table = new HashMap<>();
        for (String key : EgressPath.IGNORED) {
            table.put(key, true);
        }
        EgressPath.parse(table);
        assertThat(IgnoredKeys.list()).extracting(Object::toString)
                .contains("make_egress_path.enable_mta_sts", "make_egress_path.max_ready",
                        "make_egress_path.source_selection_rate", "make_egress_path.reconnect_strategy",
                        "make_egress_path.use_lmtp", "make_egress_path.tls_certificate");
        assertThat(EgressPath.SCHEMA.supported()).doesNotContainAnyElementsOf(EgressPath.IGNORED);
    }

    @Test
    void namedSharedLimitsAreReadAndCheckedByName() {
        EgressPath p = EgressPath.parse(Map.of(
                "additional_connection_limits", Map.of("global", 100L, "provider:p:s1", "1,000"),
                "additional_message_rate_throttles", Map.of("provider:p:s1", "20/s")));
        assertThat(p.additionalConnectionLimits()).containsExactlyInAnyOrderEntriesOf(Map.of("global", 100, "provider:p:s1", 1000));
        assertThat(p.additionalMessageRates()).containsOnlyKeys("provider:p:s1");
        assertThat(p.additionalMessageRates().get("provider:p:s1").limit()).isEqualTo(20);
        assertThatThrownBy(() -> EgressPath.parse(Map.of("additional_connection_limits", Map.of("g", 0L))))
                .hasMessage("make_egress_path: key 'additional_connection_limits': limit 'g': invalid limit '0' (a whole number, at least 1)");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("additional_message_rate_throttles", Map.of("r", "fast"))))
                .hasMessageContaining("key 'additional_message_rate_throttles': limit 'r': invalid throttle 'fast'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("additional_connection_limits", 5L)))
                .hasMessageContaining("expected a table of limit name = value");
        assertThat(EgressPath.DEFAULT.additionalConnectionLimits()).isEmpty();
    }

    @Test
    void pathRejectsTyposAndBadValuesByName() {
        assertThatThrownBy(() -> EgressPath.parse(Map.of("enable_tsl", "Required")))
                .isInstanceOf(ConfigException.class).hasMessage("make_egress_path: unknown key 'enable_tsl'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("enable_tls", "Yes")))
                .hasMessageStartingWith("make_egress_path: key 'enable_tls': unknown value 'Yes', expected one of [Opportunistic,");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("ip_lookup_strategy", "Ipv5")))
                .hasMessageContaining("key 'ip_lookup_strategy': unknown value 'Ipv5'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("prohibited_hosts", List.of("10.0.0.0/33"))))
                .hasMessageContaining("key 'prohibited_hosts': invalid CIDR '10.0.0.0/33'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("max_message_rate", "lots")))
                .hasMessageContaining("key 'max_message_rate': invalid throttle 'lots'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("connect_timeout", "soon")))
                .hasMessageContaining("key 'connect_timeout': invalid duration 'soon'");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("smtp_port", 0L)))
                .hasMessageContaining("key 'smtp_port': 0 is out of range");
        assertThatThrownBy(() -> EgressPath.parse(Map.of("max_recipients_per_batch", 0L)))
                .hasMessageContaining("key 'max_recipients_per_batch' must be at least 1");
    }

    @Test
    void queueConfigMxListForms() throws Exception {
        QueueConfig q = QueueConfig.parse(Map.of("protocol", Map.of("smtp", Map.of("treat_mx_list_as_secure", true,
                "mx_list", List.of("mx.example.com", "localhost:2525", "[10.0.0.1]", "127.0.0.1",
                        Map.of("name", "backup", "addr", "[::1]:2526"))))));
        assertThat(q.mxList()).containsExactly(
                new MxHost("mx.example.com", "mx.example.com", Optional.empty(), OptionalInt.empty()),
                new MxHost("localhost:2525", "localhost", Optional.empty(), OptionalInt.of(2525)),
                new MxHost("[10.0.0.1]", "10.0.0.1", Optional.of(InetAddress.getByName("10.0.0.1")), OptionalInt.empty()),
                new MxHost("127.0.0.1", "127.0.0.1", Optional.of(InetAddress.getByName("127.0.0.1")), OptionalInt.empty()),
                new MxHost("backup", "::1", Optional.of(InetAddress.getByName("::1")), OptionalInt.of(2526)));
        assertThat(IgnoredKeys.list()).extracting(Object::toString)
                .contains("make_queue_config.protocol.smtp.treat_mx_list_as_secure");
    }

    @Test
    void queueConfigAcceptsEveryKumoMtaKeyAndRejectsWhatItCannotDo() {
        QueueConfig q = QueueConfig.parse(Map.of("refresh_strategy", "Ttl", "strategy", "SkipList",
                "timerwheel_tick_interval", "1s", "provider_name", "p", "shrink_policy", List.of(), "egress_pool", "x"));
        assertThat(q.poolName()).isEqualTo("x");
        assertThat(q.refreshInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(q.reapInterval()).isEqualTo(Duration.ofMinutes(10));
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("egres_pool", "x")))
                .hasMessage("make_queue_config: unknown key 'egres_pool'");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("protocol", Map.of("maildir_path", "/var/mail"))))
                .hasMessage("make_queue_config.protocol: key 'maildir_path': only the smtp and custom_lua protocols are implemented by Sluice");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("protocol", Map.of("smtp", Map.of("mx_list",
                List.of("bad host:25"))))))
                .hasMessage("make_queue_config.protocol.smtp.mx_list[1]: invalid hostname 'bad host' in 'bad host:25'");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("protocol", Map.of("smtp", Map.of("mx_list",
                List.of(Map.of("name", "x", "addr", "mx.example.com")))))))
                .hasMessageContaining("mx_list[1]: key 'addr' must be an IP address");
    }

    @Test
    void shrinkPolicyIsValidatedAndChoosesByTimeUntilDueAsKumoMtaDescribes() {
        long mark = IgnoredKeys.mark();
        QueueConfig q = QueueConfig.parse(Map.of("shrink_policy", List.of(
                Map.of("interval", "0 s", "policy", "ShrinkData"),
                Map.of("interval", "60 s", "policy", "ShrinkDataAndMeta"))));
        assertThat(IgnoredKeys.since(mark)).as("not reported by sluice check as a key Sluice ignores").isEmpty();
        ShrinkPolicy p = q.shrinkPolicy();
        assertThat(p.entries()).containsExactly(
                new ShrinkPolicy.Entry(Duration.ZERO, ShrinkPolicy.Reduction.ShrinkData),
                new ShrinkPolicy.Entry(Duration.ofSeconds(60), ShrinkPolicy.Reduction.ShrinkDataAndMeta));
        assertThat(p.forDue(Duration.ofSeconds(10))).isEqualTo(ShrinkPolicy.Reduction.ShrinkData);
        assertThat(p.forDue(Duration.ofSeconds(60))).isEqualTo(ShrinkPolicy.Reduction.ShrinkDataAndMeta);
        assertThat(p.forDue(Duration.ofHours(1))).isEqualTo(ShrinkPolicy.Reduction.ShrinkDataAndMeta);
        assertThat(QueueConfig.parse(Map.of()).shrinkPolicy().forDue(Duration.ZERO))
                .isEqualTo(ShrinkPolicy.Reduction.ShrinkDataAndMeta);
        assertThat(QueueConfig.parse(Map.of("shrink_policy", Map.of())).shrinkPolicy()).isEqualTo(ShrinkPolicy.DEFAULT);

        assertThatThrownBy(() -> QueueConfig.parse(Map.of("shrink_policy", List.of(
                Map.of("interval", "1 s", "policy", "Shrink")))))
                .hasMessage("make_queue_config: key 'shrink_policy': entry 1: unknown policy 'Shrink'"
                        + " (ShrinkDataAndMeta, ShrinkData or NoShrink)");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("shrink_policy", List.of(Map.of("policy", "NoShrink")))))
                .hasMessage("make_queue_config: key 'shrink_policy': entry 1 needs both interval and policy");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("shrink_policy", List.of(
                Map.of("interval", "1 s", "policy", "NoShrink", "extra", 1L)))))
                .hasMessageContaining("entry 1: ").hasMessageContaining("unknown key 'extra'");
        assertThatThrownBy(() -> QueueConfig.parse(Map.of("shrink_policy", "ShrinkData")))
                .hasMessageContaining("key 'shrink_policy': expected a list");
    }

    @Test
    void poolEntriesDefaultToWeightOneAndRejectBadWeights() {
        EgressPool pool = EgressPool.parse("make_egress_pool", Map.of("name", "p",
                "entries", List.of(Map.of("name", "a"), Map.of("name", "b", "weight", 0L))));
        assertThat(pool.entries()).containsExactly(new EgressPool.Entry("a", 1), new EgressPool.Entry("b", 0));
        assertThat(pool.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(EgressPool.parse("make_egress_pool", Map.of("name", "empty", "entries", Map.of())).entries()).isEmpty();
        assertThatThrownBy(() -> EgressPool.parse("make_egress_pool", Map.of("name", "p",
                "entries", List.of(Map.of("name", "a", "weight", -1L)))))
                .hasMessageStartingWith("make_egress_pool.entries[1]: key 'weight' must be an integer from 0");
        assertThatThrownBy(() -> EgressPool.parse("make_egress_pool", Map.of("name", "p",
                "entries", List.of(Map.of("nmae", "a")))))
                .hasMessage("make_egress_pool.entries[1]: unknown key 'nmae'");
        assertThatThrownBy(() -> EgressPool.parse("make_egress_pool", Map.of("entries", List.of())))
                .hasMessage("make_egress_pool: missing required key 'name'");
    }
}
