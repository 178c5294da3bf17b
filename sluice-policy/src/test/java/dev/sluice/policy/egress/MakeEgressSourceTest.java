package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.KeySource;
import dev.sluice.policy.Policy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MakeEgressSourceTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();

    /** Runs {@code kumo.make_egress_source{<fields>}} on line 3 of a handler and returns what came back. */
    private Object make(Path file) throws Exception {
        try (Policy policy = policies.load(file)) {
            return policy.call("make");
        }
    }

    private Path policyWith(String fields) throws Exception {
        return TestPolicies.write(dir, "p.lua",
                "kumo.on('make', function()",
                "  local unused = 1",
                "  local s = kumo.make_egress_source { name = 'ip-1', " + fields + " }",
                "  return s",
                "end)");
    }

    @Test
    void everyOptionIsReadIntoTheRecord() throws Exception {
        Path file = policyWith("""
                ehlo_domain = 'mta1.example.com', source_address = '10.0.5.1', remote_port = 2525,
                socks5_proxy_server = 'proxy.example.com:1080', socks5_proxy_source_address = '2001:db8::7',
                socks5_proxy_username = 'u', socks5_proxy_password = {key_data = 'secret'},
                socks5_proxy_use_tls = true, socks5_proxy_tls_ca = '/etc/ca.pem', socks5_proxy_tls_insecure = false,
                suspend_when_unplumbed = {duration = '5m'},
                suspend_when_proxy_unhealthy = {trigger = {Threshold = '3/1m'}, duration = '10 minutes'},
                ttl = '30s'""".replace("\n", " "));
        EgressSource s = (EgressSource) make(file);
        assertThat(s.name()).isEqualTo("ip-1");
        assertThat(s.ehloDomain()).contains("mta1.example.com");
        assertThat(s.sourceAddress()).contains(InetAddress.getByName("10.0.5.1"));
        assertThat(s.remotePort()).hasValue(2525);
        assertThat(s.socks5ProxyServer().orElseThrow().host()).isEqualTo("proxy.example.com");
        assertThat(s.socks5ProxyServer().orElseThrow().isLiteral()).isFalse();
        assertThat(s.socks5ProxySourceAddress()).contains(InetAddress.getByName("2001:db8::7"));
        assertThat(new String(s.socks5ProxyPassword().orElseThrow().load(), StandardCharsets.UTF_8)).isEqualTo("secret");
        assertThat(s.socks5ProxyTlsCa()).contains(new KeySource.File(Path.of("/etc/ca.pem")));
        assertThat(s.suspendWhenUnplumbed().orElseThrow())
                .isEqualTo(new SuspensionRule(new SuspensionRule.Immediate(), Duration.ofMinutes(5)));
        assertThat(s.suspendWhenProxyUnhealthy().orElseThrow())
                .isEqualTo(new SuspensionRule(new SuspensionRule.Threshold(3, Duration.ofMinutes(1)), Duration.ofMinutes(10)));
        assertThat(s.ttl()).isEqualTo(Duration.ofSeconds(30));
        var socks = (ProxyProtocol.Socks5) s.protocol();
        assertThat(socks.useTls()).isTrue();
        assertThat(socks.hasCredentials()).isTrue();
        assertThat(socks.kind()).isEqualTo("socks5");
        assertThat(s.toString()).doesNotContain("secret");
    }

    @Test
    void defaultsAreKumoMtasAndNoProxyMeansDirect() throws Exception {
        EgressSource s = (EgressSource) make(policyWith("source_address = '127.0.0.5'"));
        assertThat(s.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.protocol()).isEqualTo(new ProxyProtocol.Direct());
        assertThat(s.outboundAddress()).contains(InetAddress.getByName("127.0.0.5"));
        assertThat(s.remotePort()).isEmpty();
        assertThat(s.suspendWhenProxyUnhealthy()).isEmpty();
    }

    @Test
    void socks5ServerAloneMeansConnectWithoutBind() throws Exception {
        EgressSource s = (EgressSource) make(policyWith("socks5_proxy_server = '127.0.0.1:1080'"));
        var socks = (ProxyProtocol.Socks5) s.protocol();
        assertThat(socks.sourceAddress()).isEmpty();
        assertThat(socks.server().toSocketAddress().getPort()).isEqualTo(1080);
        assertThat(socks.hasCredentials()).isFalse();
    }

    @Test
    void haproxyNeedsBothFieldsAndCarriesItsSourceAddress() throws Exception {
        EgressSource s = (EgressSource) make(policyWith(
                "ha_proxy_server = '[::1]:5000', ha_proxy_source_address = '::1'"));
        var ha = (ProxyProtocol.HaProxy) s.protocol();
        assertThat(ha.server().address()).contains(InetAddress.getByName("::1"));
        assertThat(ha.server().toString()).isEqualTo("[::1]:5000");
        assertThat(ha.sourceAddress()).isEqualTo(InetAddress.getByName("::1"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ha_proxy_server = '10.0.5.10:5000' | ha_proxy_server is set but ha_proxy_source_address is not",
            "ha_proxy_source_address = '10.0.0.1' | ha_proxy_source_address is set but ha_proxy_server is not",
            "socks5_proxy_source_address = '10.0.0.1' | socks5_proxy_source_address is set but socks5_proxy_server is not",
            "socks5_proxy_server = '10.0.5.10:5000', socks5_proxy_username = 'u' | socks5_proxy_username is set but socks5_proxy_password is not",
            "socks5_proxy_server = '10.0.5.10:5000', socks5_proxy_password = {key_data = 'p'} | socks5_proxy_password is set but socks5_proxy_username is not",
            "ha_proxy_server = '10.0.5.10:5000', ha_proxy_source_address = '10.0.0.1', socks5_proxy_server = '10.0.5.10:1080' | both HAProxy (ha_proxy_server) and SOCKS5 (socks5_proxy_server) are configured",
            "source_address = '10.0.0.256' | key 'source_address': invalid IP address '10.0.0.256'",
            "socks5_proxy_server = '10.0.5.10:5000', socks5_proxy_source_address = 'ip-one' | key 'socks5_proxy_source_address': invalid IP address 'ip-one'",
            "socks5_proxy_server = 'not a valid hostname:5000' | key 'socks5_proxy_server': invalid hostname 'not a valid hostname'",
            "ha_proxy_server = '10.0.5.10', ha_proxy_source_address = '10.0.0.1' | key 'ha_proxy_server': '10.0.5.10' has no port",
            "socks5_proxy_server = '10.0.5.10:0' | key 'socks5_proxy_server': invalid port '0'",
            "socks5_proxy_sever = '10.0.5.10:5000' | unknown key 'socks5_proxy_sever'",
            "socks5_proxy_server = '10.0.5.10:5000', socks5_proxy_tls_insecure = true | socks5_proxy_tls_insecure is set but socks5_proxy_use_tls is not true",
            "suspend_when_unplumbed = {trigger = 'Immediate'} | make_egress_source.suspend_when_unplumbed: missing required key 'duration'",
            "suspend_when_unplumbed = {trigger = 'Sometimes', duration = '1m'} | key 'trigger' must be 'Immediate' or {Threshold = 'N/period'}",
            "remote_port = 70000 | key 'remote_port': port 70000 is out of range",
    })
    void configurationErrorsNameFileLineAndField(String fields, String reason) throws Exception {
        Path file = policyWith(fields);
        assertThatThrownBy(() -> make(file))
                .hasMessageStartingWith(file + ":3: make_egress_source")
                .hasMessageContaining(reason);
    }

    @Test
    void errorsAtTopLevelFailTheLoadWithFileAndLine() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua", "", "kumo.make_egress_source { name = 'x', ha_proxy_server = '1.2.3.4:5' }");
        assertThatThrownBy(() -> policies.load(file))
                .hasMessage(file + ":2: make_egress_source: ha_proxy_server is set but ha_proxy_source_address is not;"
                        + " HAProxy needs both");
    }

    @Test
    void nameIsRequired() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua", "kumo.make_egress_source { source_address = '10.0.0.1' }");
        assertThatThrownBy(() -> policies.load(file))
                .hasMessage(file + ":1: make_egress_source: missing required key 'name'");
    }

    @Test
    void aTailCalledMakeStillReportsFileAndLine() throws Exception {
        // `return kumo.make_egress_source{...}` as the seeds write it
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name)",
                "  if name == 'ip-1' then",
                "    return kumo.make_egress_source {",
                "      name = 'ip-1',",
                "      socks5_proxy_source_address = '10.0.0.1',",
                "    }",
                "  end",
                "end)");
        try (Policy policy = policies.load(file)) {
            assertThatThrownBy(() -> policy.call("get_egress_source", "ip-1"))
                    .hasMessage(file + ":3: make_egress_source: socks5_proxy_source_address is set but"
                            + " socks5_proxy_server is not");
        }
    }
}
