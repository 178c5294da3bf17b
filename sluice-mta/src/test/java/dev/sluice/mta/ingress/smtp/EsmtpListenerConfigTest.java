package dev.sluice.mta.ingress.smtp;

import dev.sluice.net.Hostnames;

import dev.sluice.mta.ingress.Admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.Tls;
import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.start_esmtp_listener{...}} read from a real policy file. */
class EsmtpListenerConfigTest {
    @TempDir
    Path dir;

    private List<EsmtpListenerConfig> load(String initBody) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "local kumo = require 'kumo'\nkumo.on('init', function()\n" + initBody + "\nend)\n");
        var module = new EsmtpListenerModule();
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(module), null))) {
            policy.runOnce("init");
        }
        return module.listeners();
    }

    @Test
    void defaults_follow_kumomta() throws Exception {
        var config = load("kumo.start_esmtp_listener{}").getFirst();
        assertThat(config.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 2025));
        assertThat(config.maxConnections()).isEqualTo(32768);
        assertThat(config.tlsCertificatePem()).isNull();
        EsmtpParams p = config.params();
        assertThat(p.hostname()).isEqualTo(Hostnames.local());
        assertThat(p.banner()).isEqualTo("Sluice ESMTP");
        assertThat(p.relayHosts().contains(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(p.relayHosts().contains(InetAddress.getByName("::1"))).isTrue();
        assertThat(p.relayHosts().contains(InetAddress.getByName("127.0.0.2"))).isFalse();
        assertThat(p.maxMessageSize()).isEqualTo(20L * 1024 * 1024);
        assertThat(p.maxRecipientsPerMessage()).isEqualTo(1024);
        assertThat(p.maxMessagesPerConnection()).isEqualTo(10000);
        assertThat(p.lineLengthHardLimit()).isEqualTo(998);
        assertThat(p.invalidLineEndings()).isEqualTo(InvalidLineEndings.DENY);
        assertThat(p.clientTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.requireProxyProtocol()).isFalse();
        // Sluice's own, near Postfix's smtpd_timeout and smtpd_client_connection_count_limit
        assertThat(p.commandDeadline()).isEqualTo(Duration.ofSeconds(300));
        assertThat(p.dataDeadline()).isEqualTo(Duration.ofSeconds(600));
        assertThat(p.maxConnectionsPerIp()).isEqualTo(50);
    }

    @Test
    void deadlines_and_the_per_address_limit_are_listener_options_a_peer_block_may_change() throws Exception {
        var config = load("""
                kumo.start_esmtp_listener {
                  command_deadline = '2 minutes', data_deadline = '15 minutes', max_connections_per_ip = 20,
                  peer = { ['10.0.0.0/8'] = { max_connections_per_ip = 500, data_deadline = '1 hour' } },
                }
                """).getFirst();
        EsmtpParams p = config.params();
        assertThat(p.commandDeadline()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.dataDeadline()).isEqualTo(Duration.ofMinutes(15));
        assertThat(p.maxConnectionsPerIp()).isEqualTo(20);
        EsmtpParams peer = config.paramsFor(InetAddress.getByName("10.1.2.3"), null);
        assertThat(peer.maxConnectionsPerIp()).isEqualTo(500);
        assertThat(peer.dataDeadline()).isEqualTo(Duration.ofHours(1));
        assertThat(peer.commandDeadline()).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ max_connections_per_ip = 0 }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("max_connections_per_ip");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ command_deadline = '0s' }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("command_deadline");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ peer = { ['10.0.0.0/8'] = { data_deadline = 'x' } } }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("data_deadline");
    }

    @Test
    void every_key_of_section_3_4_is_accepted() throws Exception {
        var self = Tls.selfSigned("mx.example.test");
        Files.write(dir.resolve("cert.pem"), self.certificatePem());
        Files.write(dir.resolve("key.pem"), self.privateKeyPem());
        var config = load("""
                kumo.start_esmtp_listener {
                  listen = '127.0.0.1:0', hostname = 'mx.example.test', banner = 'hello',
                  relay_hosts = { '10.0.0.0/8' }, require_proxy_protocol = false,
                  peer = { ['10.1.0.0/16'] = { relay_hosts = { '0.0.0.0/0' }, max_recipients_per_message = 3,
                                               require_proxy_protocol = true } },
                  via = { ['127.0.0.1'] = { banner = 'via loopback' } },
                  meta = { tenant = 'blue' },
                  tls_certificate = '%s', tls_private_key = '%s', tls_required_client_ca = 'ca.pem',
                  client_timeout = '30 seconds', data_processing_timeout = '2m',
                  max_messages_per_connection = 50, max_recipients_per_message = 7, max_message_size = 1000,
                  data_buffer_size = 4096, line_length_hard_limit = 2000, invalid_line_endings = 'Fix',
                  batch_handling = 'BifurcateAlways', deferred_spool = false, deferred_queue = false,
                  trace_headers = { received_header = true }, allow_xclient = false, max_connections = 10,
                }
                """.formatted(dir.resolve("cert.pem"), dir.resolve("key.pem"))).getFirst();
        assertThat(config.listen().getPort()).isZero();
        assertThat(config.maxConnections()).isEqualTo(10);
        assertThat(new String(config.tlsCertificatePem(), StandardCharsets.US_ASCII)).contains("BEGIN CERTIFICATE");
        EsmtpParams p = config.params();
        assertThat(p.hostname()).isEqualTo("mx.example.test");
        assertThat(p.banner()).isEqualTo("hello");
        assertThat(p.meta()).containsEntry("tenant", "blue");
        assertThat(p.clientTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.dataProcessingTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.maxMessagesPerConnection()).isEqualTo(50);
        assertThat(p.maxRecipientsPerMessage()).isEqualTo(7);
        assertThat(p.maxMessageSize()).isEqualTo(1000);
        assertThat(p.lineLengthHardLimit()).isEqualTo(2000);
        assertThat(p.invalidLineEndings()).isEqualTo(InvalidLineEndings.FIX);

        EsmtpParams peer = config.paramsFor(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("127.0.0.1"));
        assertThat(peer.maxRecipientsPerMessage()).isEqualTo(3);
        assertThat(peer.requireProxyProtocol()).isTrue();
        assertThat(peer.banner()).isEqualTo("via loopback");
        assertThat(peer.relayHosts().contains(InetAddress.getByName("192.0.2.1"))).isTrue();
        EsmtpParams other = config.paramsFor(InetAddress.getByName("10.2.0.1"), InetAddress.getByName("127.0.0.2"));
        assertThat(other).isEqualTo(p);

        assertThat(IgnoredKeys.list()).extracting(Object::toString).contains(
                "start_esmtp_listener.data_buffer_size", "start_esmtp_listener.batch_handling",
                "start_esmtp_listener.tls_required_client_ca", "start_esmtp_listener.trace_headers");
    }

    @Test
    void bad_values_name_the_key() {
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ invalid_line_endings = 'Sometimes' }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("invalid_line_endings");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ relay_hosts = { '10.0.0.0/33' } }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("relay_hosts");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ listen = 'localhost' }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("localhost");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ no_such_key = 1 }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("no_such_key");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ peer = { ['10.0.0.0/8'] = { listen = 'x' } } }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("listen");
        assertThatThrownBy(() -> load("kumo.start_esmtp_listener{ tls_certificate = '/nonexistent/cert.pem',"
                + " tls_private_key = '/nonexistent/key.pem' }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("/nonexistent/cert.pem");
    }

    @Test
    void a_listener_from_lua_serves_with_its_configured_certificate_and_hostname() throws Exception {
        var self = Tls.selfSigned("cert.example.test");
        var config = load("kumo.start_esmtp_listener{ listen = '127.0.0.1:0', hostname = 'lua.example.test',"
                + " banner = 'from lua', tls_certificate = { key_data = [[" + new String(self.certificatePem(),
                StandardCharsets.US_ASCII) + "]] }, tls_private_key = { key_data = [["
                + new String(self.privateKeyPem(), StandardCharsets.US_ASCII) + "]] } }").getFirst();
        try (var server = new EsmtpServer(config, new RecordingInjector(), RelayPolicy.DENY_ALL, Admission.ALWAYS)) {
            InetSocketAddress bound = server.start();
            assertThat(bound.getPort()).isPositive();
            try (var plain = new java.net.Socket(bound.getAddress(), bound.getPort())) {
                var in = new java.io.BufferedReader(new java.io.InputStreamReader(plain.getInputStream(),
                        StandardCharsets.US_ASCII));
                var out = plain.getOutputStream();
                assertThat(in.readLine()).isEqualTo("220 lua.example.test from lua");
                out.write("EHLO c.test\r\nSTARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
                String line;
                do {
                    line = in.readLine();
                } while (line.startsWith("250"));
                assertThat(line).startsWith("220 ");
                var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
                ssl.init(null, io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
                try (var tls = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket(plain, "x", bound.getPort(),
                        false)) {
                    tls.startHandshake();
                    var cert = (java.security.cert.X509Certificate) tls.getSession().getPeerCertificates()[0];
                    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=cert.example.test");
                }
            }
        }
    }
}
