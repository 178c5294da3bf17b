package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.Dante;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.HaproxyForward;
import dev.sluice.testkit.Microsocks;
import dev.sluice.testkit.Peer;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice deliver} against real peers: smtp-sink with a dump directory as the destination, and
 * direct, {@code sluice proxy}, HAProxy, microsocks and dante as the route. Each test checks both what the
 * operator reads (the printed source address and per-recipient result) and what the destination saw.
 */
class DeliverCommandTest {
    private static final String RCPT = "rcpt@example.com";

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private Path message;

    @BeforeEach
    void writeMessage() throws IOException {
        message = dir.resolve("message.eml");
        Files.writeString(message, """
                From: sender@example.com\r
                To: rcpt@example.com\r
                Subject: deliver test\r
                \r
                Hello through the route.\r
                """);
    }

    /** A policy whose every source is built from {@code fields}, delivering in plain text to any host. */
    private Path policy(String fields) throws IOException {
        Path file = Files.createTempFile(dir, "policy", ".lua");
        Files.writeString(file, """
                kumo.on('get_egress_source', function(name)
                  return kumo.make_egress_source { name = name, %s }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { enable_tls = 'Disabled', prohibited_hosts = {} }
                end)
                """.formatted(fields));
        return file;
    }

    /** {@code sluice deliver} in this JVM (the command's own code; the launcher is covered by {@link #launched}). */
    private ToolResult deliver(Path policy, String mx) {
        return SluiceCommand.inProcess(deliverArgs(policy, mx));
    }

    /** {@code bin/sluice deliver}: the same command through the real launcher, in a process of its own. */
    private ToolResult launched(Path policy, String mx) {
        return SluiceCommand.run(deliverArgs(policy, mx));
    }

    private String[] deliverArgs(Path policy, String mx) {
        return new String[] {"deliver", "--policy", policy.toString(), "--source", "ip-1", "--to", RCPT,
                "--from", "sender@example.com", "--mx", mx, "--message", message.toString()};
    }

    private static void assertDelivered(ToolResult r) {
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("delivered " + RCPT + ": 250 2.0.0 Ok");
    }

    /** The one transient failure line, for a route that could not connect; exit code 1, nothing sent. */
    private static String transientFailure(ToolResult r, SmtpSink sink) {
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        var line = r.stdout().lines().filter(l -> l.startsWith("transient failure " + RCPT + ": ")).toList();
        assertThat(line).as(r.describe()).hasSize(1);
        assertThat(r.stdout()).doesNotContain("delivered ").doesNotContain("source address:");
        assertThat(sink.messages()).isEmpty();
        return line.getFirst();
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static DumpedMessage onlyMessage(SmtpSink sink) {
        var messages = sink.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(messages).hasSize(1);
        DumpedMessage m = messages.getFirst();
        assertThat(m.rcptTo()).singleElement().asString().contains(RCPT);
        assertThat(m.body()).contains("Hello through the route.");
        return m;
    }

    @Test
    void directFromTheSourceAddress() throws IOException {
        var sink = peers.add(SmtpSink.start());
        var r = launched(policy("source_address = '127.0.0.5'"), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.5:\\d+ \\(direct\\)$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.5");
    }

    @Test
    void throughSluiceProxyWithBindOfTheSourceAddress() throws IOException {
        var sink = peers.add(SmtpSink.start());
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
        String server = hostPort(proxy.proxyListener());

        var r = deliver(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(server)), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.7:\\d+ via socks5 "
                + Pattern.quote(server) + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.7");
    }

    @Test
    void proxyNameWithTwoAddressesWhereTheFirstRefusesUsesTheSecond() throws IOException {
        var sink = peers.add(SmtpSink.start());
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
        int port = proxy.proxyListener().getPort();
        Path policy = policy("socks5_proxy_server = 'socks5.proxy.test:%d', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(port));
        // 127.0.0.2 first: nothing listens there on that port (the proxy is bound to 127.0.0.1 only)
        Files.writeString(policy, """
                kumo.dns.configure_test_resolver {
                  '$ORIGIN socks5.proxy.test.\\n@ 300 A 127.0.0.2\\n@ 300 A 127.0.0.1\\n',
                }
                """ + Files.readString(policy));

        var r = deliver(policy, sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.7:\\d+ via socks5 \\S*" + port + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.7");
    }

    @Test
    void proxyNameWhoseAddressesAllRefuseTriesEachInOrder() throws IOException {
        var sink = peers.add(SmtpSink.start());
        int port = FreePorts.tcp("127.0.0.1");
        Path policy = policy("socks5_proxy_server = 'socks5.proxy.test:%d', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(port));
        Files.writeString(policy, """
                kumo.dns.configure_test_resolver {
                  '$ORIGIN socks5.proxy.test.\\n@ 300 A 127.0.0.2\\n@ 300 A 127.0.0.1\\n',
                }
                """ + Files.readString(policy));

        var r = deliver(policy, sink.hostPort());

        assertThat(transientFailure(r, sink))
                .contains("All failures are related to proxy connection issues")
                .containsPattern("127\\.0\\.0\\.2:" + port + ".*Connection refused.*127\\.0\\.0\\.1:" + port
                        + ".*Connection refused");
    }

    /**
     * sluice proxy with a TLS listener (certificate/key as file key sources, or none for a self-signed pair);
     * returns its HOST:PORT from the "proxy listener (TLS) on HOST:PORT" line.
     */
    private String tlsProxy(String certKeyFields) throws IOException {
        Path config = Files.createTempFile(dir, "tls-proxy", ".lua");
        Files.writeString(config, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener { listen = '127.0.0.1:0', use_tls = true, allowed_destinations = { '127.0.0.0/8' }, %s }
                end)
                """.formatted(certKeyFields));
        var proxy = peers.add(SluiceProcess.start("proxy", "--proxy-config", config.toString()));
        String line = proxy.awaitLine("proxy listener \\(TLS\\) on \\S+", Duration.ofSeconds(5));
        return line.substring(line.indexOf(" on ") + 4).trim();
    }

    @Test
    void tlsToSluiceProxyVerifiedAgainstTheConfiguredCa() throws IOException {
        var sink = peers.add(SmtpSink.start());
        Path cert = dir.resolve("proxy.crt");
        Path key = dir.resolve("proxy.key");
        var gen = dev.sluice.testkit.Tool.run(java.util.List.of("openssl", "req", "-x509", "-newkey", "rsa:2048",
                "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString()));
        assertThat(gen.exitCode()).as(gen.describe()).isZero();
        String server = tlsProxy("tls_certificate = '%s', tls_private_key = '%s'".formatted(cert, key));

        var r = deliver(policy("""
                socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7',
                    socks5_proxy_use_tls = true, socks5_proxy_tls_ca = '%s'""".formatted(server, cert)), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.7:\\d+ via socks5 "
                + Pattern.quote(server) + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.7");
    }

    @Test
    void tlsToSluiceProxyWithASelfSignedCertificate() throws IOException {
        var sink = peers.add(SmtpSink.start());
        String server = tlsProxy("");
        String fields = "socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7', socks5_proxy_use_tls = true"
                .formatted(server);

        var verified = deliver(policy(fields), sink.hostPort());
        assertThat(transientFailure(verified, sink)).contains("TLS handshake failed").contains("certification path");

        var insecure = deliver(policy(fields + ", socks5_proxy_tls_insecure = true"), sink.hostPort());
        assertDelivered(insecure);
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.7");
    }

    private SluiceProcess authenticatingProxy() throws IOException {
        Path config = dir.resolve("proxy.lua");
        Files.writeString(config, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener { listen = '127.0.0.1:0', require_auth = true, timeout = '10 seconds',
                                               allowed_destinations = { '127.0.0.0/8' } }
                end)
                kumo.on('proxy_server_auth_rfc1929', function(user, password, conn_meta)
                  return user == 'ip1' and password == 'right-password'
                end)
                """);
        return peers.add(SluiceProcess.start("proxy", "--proxy-config", config.toString()));
    }

    private Path authPolicy(String server, String password) throws IOException {
        return policy("""
                socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7',
                    socks5_proxy_username = 'ip1', socks5_proxy_password = { key_data = '%s' }""".formatted(server, password));
    }

    @Test
    void rfc1929WithTheRightPasswordDelivers() throws IOException {
        var sink = peers.add(SmtpSink.start());
        String server = hostPort(authenticatingProxy().proxyListener());

        var r = deliver(authPolicy(server, "right-password"), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.7:\\d+ via socks5 "
                + Pattern.quote(server) + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.7");
    }

    @Test
    void rfc1929WithAWrongPasswordIsATransientFailure() throws IOException {
        var sink = peers.add(SmtpSink.start());
        String server = hostPort(authenticatingProxy().proxyListener());

        var r = deliver(authPolicy(server, "wrong-password"), sink.hostPort());

        assertThat(transientFailure(r, sink)).contains("username/password was incorrect");
    }

    @Test
    void passwordKeySourceThatCannotBeReadIsAPolicyProblem() throws IOException {
        var sink = peers.add(SmtpSink.start());
        String server = hostPort(authenticatingProxy().proxyListener());
        Path missing = dir.resolve("no-such-password-file");

        // a plain string is a KeySource file path, as in KumoMTA
        var r = launched(policy("""
                socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7',
                    socks5_proxy_username = 'ip1', socks5_proxy_password = '%s'""".formatted(server, missing)),
                sink.hostPort());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("ip-1").contains(missing.toString()).doesNotContain("\tat ");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void proxyDownIsSummarisedAsAProxyConnectionIssue() throws IOException {
        var sink = peers.add(SmtpSink.start());
        String nobodyListens = "127.0.0.1:" + FreePorts.tcp("127.0.0.1");

        var r = deliver(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(nobodyListens)), sink.hostPort());

        assertThat(transientFailure(r, sink))
                .contains("All failures are related to proxy connection issues")
                .contains(nobodyListens);
    }

    @Test
    void bindOfAnAddressTheProxyHostLacksIsSummarisedAsUnplumbedOnTheProxy() throws IOException {
        var sink = peers.add(SmtpSink.start());
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));

        // 192.0.2.1 (TEST-NET-1) is on no interface here: the proxy's bind fails locally, no packet leaves
        var r = deliver(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '192.0.2.1'"
                .formatted(hostPort(proxy.proxyListener()))), sink.hostPort());

        assertThat(transientFailure(r, sink))
                .contains("proxy server having an unplumbed source address")
                .contains("192.0.2.1");
    }

    @Test
    void throughHaproxyFromTheHeadersSourceAddress() throws IOException {
        var sink = peers.add(SmtpSink.start());
        var haproxy = peers.add(HaproxyForward.start());

        var r = deliver(policy("ha_proxy_server = '%s', ha_proxy_source_address = '127.0.0.9'"
                .formatted(haproxy.hostPort())), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.9:0 via haproxy "
                + Pattern.quote(haproxy.hostPort()) + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.9");
    }

    @Test
    void microsocksWithConnectAloneDeliversAndIsNotSaidToHaveReportedItsSourceAddress() throws IOException {
        // microsocks answers CONNECT with BND 0.0.0.0:0: "source address: 0.0.0.0:0" would be false
        var r = assertConnectAloneDelivers(peers.add(Microsocks.start()));
        assertThat(r.stdout()).containsPattern("(?m)^source address not reported by the proxy via socks5 \\S+$")
                .doesNotContain("0.0.0.0:0");
    }

    @Test
    void danteWithConnectAloneDelivers() throws IOException {
        var r = assertConnectAloneDelivers(peers.add(Dante.start()));
        assertThat(r.stdout()).containsPattern("(?m)^source address: 127\\.0\\.0\\.1:[1-9]\\d* via socks5 \\S+$");
    }

    /** A stock SOCKS5 server, socks5_proxy_server alone: CONNECT without BIND, the proxy picks the source. */
    private ToolResult assertConnectAloneDelivers(Peer socks) throws IOException {
        var sink = peers.add(SmtpSink.start());

        var r = deliver(policy("socks5_proxy_server = '%s'".formatted(socks.hostPort())), sink.hostPort());

        assertDelivered(r);
        assertThat(r.stdout()).containsPattern("(?m)^source .* via socks5 " + Pattern.quote(socks.hostPort()) + "$");
        assertThat(onlyMessage(sink).clientAddr()).isEqualTo("127.0.0.1");
        return r;
    }

    @Test
    void microsocksRefusesTheKumoBindForm() throws IOException {
        assertBindFormRefused(peers.add(Microsocks.start()), "CommandNotSupported (reply 0x07)");
    }

    @Test
    void danteRefusesTheKumoBindForm() throws IOException {
        assertBindFormRefused(peers.add(Dante.start()), "ConnectionNotAllowed (reply 0x02)");
    }

    /** KumoMTA's BIND-then-CONNECT against a stock SOCKS5 server: a ProxyBindError naming the server's reply. */
    private void assertBindFormRefused(Peer socks, String reply) throws IOException {
        var sink = peers.add(SmtpSink.start());

        var r = deliver(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(socks.hostPort())), sink.hostPort());

        assertThat(transientFailure(r, sink))
                .contains("The proxy server failed to bind 127.0.0.7 via Socks5 { server: " + socks.hostPort())
                .endsWith(reply);
    }

    @Test
    void ipv4SourceForAnIpv6DestinationIsAFamilyMismatch() throws IOException {
        var sink = peers.add(SmtpSink.builder().host("::1").start());
        var proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "::1"));

        var r = deliver(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(hostPort(proxy.proxyListener()))), sink.hostPort());

        assertThat(transientFailure(r, sink)).contains("address family does not match the destination address family");
    }
}
