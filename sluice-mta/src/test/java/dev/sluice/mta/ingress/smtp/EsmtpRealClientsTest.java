package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.message.Message;
import dev.sluice.net.CidrSet;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.ToolResult;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** swaks and smtp-source against the listener: STARTTLS, PROXY v1/v2, many sessions. */
class EsmtpRealClientsTest {
    private final TestServers servers = new TestServers();

    @AfterEach
    void stop() {
        servers.close();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void swaks_plain_message_arrives() throws Exception {
        InetSocketAddress a = servers.start();
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--from", "sender@example.test", "--to", "rcpt@example.test",
                "--helo", "client.test", "--header", "X-Test-Id: plain-1");
        assertThat(r.ok()).as(r.describe()).isTrue();
        Message m = servers.injector.messages().getFirst();
        assertThat(m.sender()).isEqualTo("sender@example.test");
        assertThat(m.recipient()).isEqualTo("rcpt@example.test");
        assertThat(m.dataAsString()).contains("X-Test-Id: plain-1").contains("with ESMTP id " + m.id());
    }

    @Test
    void swaks_starttls() throws Exception {
        InetSocketAddress a = servers.start();
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--from", "sender@example.test", "--to", "rcpt@example.test",
                "--helo", "client.test", "--tls");
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.stdout()).contains("STARTTLS").contains("TLS started");
        Message m = servers.injector.messages().getFirst();
        assertThat(m.dataAsString()).contains("with ESMTPS id " + m.id());
        assertThat(servers.injector.calls.getFirst().context().connMeta()).containsKey("tls_protocol");
    }

    @Test
    void starttls_forgets_helo_and_is_not_offered_twice() throws Exception {
        InetSocketAddress a = servers.start();
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--quit-after", "EHLO", "--tls", "--helo", "client.test");
        assertThat(r.ok()).as(r.describe()).isTrue();
        String afterTls = r.stdout().substring(r.stdout().indexOf("TLS started"));
        assertThat(afterTls).contains("ENHANCEDSTATUSCODES").doesNotContain("250-STARTTLS");
    }

    @Test
    void commands_pipelined_after_starttls_in_clear_are_dropped() throws Exception {
        InetSocketAddress a = servers.start();
        try (var plain = new java.net.Socket(a.getAddress(), a.getPort())) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(plain.getInputStream(),
                    StandardCharsets.US_ASCII));
            var out = plain.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            out.write("EHLO c.test\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            do {
                line = in.readLine();
            } while (line.startsWith("250-"));
            // CVE-2011-0411: a HELP injected behind STARTTLS must not be answered inside the TLS session
            out.write("STARTTLS\r\nHELP\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("220 2.0.0 Ready to start TLS");
            var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            try (var tls = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket(plain, "x", a.getPort(), false)) {
                tls.startHandshake();
                var tin = new java.io.BufferedReader(new java.io.InputStreamReader(tls.getInputStream(),
                        StandardCharsets.US_ASCII));
                tls.getOutputStream().write("MAIL FROM:<a@example.com>\r\nNOOP\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                assertThat(tin.readLine()).as("HELO is forgotten after STARTTLS").startsWith("503 5.5.1");
                assertThat(tin.readLine()).startsWith("250 ");
            }
        }
    }

    @Test
    void listens_on_ipv6_loopback() throws Exception {
        InetSocketAddress a = servers.start(EsmtpListenerConfig.of(new InetSocketAddress("::1", 0),
                EsmtpParams.defaults(TestServers.HOST)));
        assertThat(a.getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        // swaks here lacks IO::Socket::INET6, so the test client speaks
        try (var c = SmtpTestClient.greeted(a)) {
            c.cmd("EHLO client.test");
            assertThat(c.transaction("sender@example.test", List.of("rcpt@example.test"), "x").code()).isEqualTo(250);
        }
        assertThat(servers.injector.messages().getFirst().dataAsString())
                .startsWith("Received: from client.test ([IPv6:0:0:0:0:0:0:0:1])");
    }

    @Test
    void proxy_v2_header_rewrites_the_client_address() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true).withRelayHosts(CidrSet.of("192.0.2.0/24")));
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--from", "sender@example.test", "--to", "rcpt@example.test",
                "--helo", "client.test", "--proxy-version", "2", "--proxy-family", "AF_INET",
                "--proxy-source", "192.0.2.7", "--proxy-source-port", "40005",
                "--proxy-dest", "198.51.100.1", "--proxy-dest-port", "25");
        assertThat(r.ok()).as(r.describe()).isTrue();
        var call = servers.injector.calls.getFirst();
        assertThat(call.context().peer()).isEqualTo(new InetSocketAddress("192.0.2.7", 40005));
        assertThat(call.context().local()).isEqualTo(new InetSocketAddress("198.51.100.1", 25));
        assertThat(call.context().connMeta().get("orig_received_from").toString()).startsWith("127.0.0.1:");
        assertThat(call.messages().getFirst().dataAsString()).startsWith("Received: from client.test ([192.0.2.7])");
    }

    @Test
    void proxy_v1_header_rewrites_the_client_address() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true).withRelayHosts(CidrSet.of("::/0")));
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--from", "sender@example.test", "--to", "rcpt@example.test",
                "--helo", "client.test", "--proxy-version", "1", "--proxy-family", "TCP6",
                "--proxy-source", "2001:db8::5", "--proxy-source-port", "40006",
                "--proxy-dest", "2001:db8::1", "--proxy-dest-port", "25");
        assertThat(r.ok()).as(r.describe()).isTrue();
        var call = servers.injector.calls.getFirst();
        assertThat(call.context().peer().getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:5");
        assertThat(call.messages().getFirst().dataAsString())
                .startsWith("Received: from client.test ([IPv6:2001:db8:0:0:0:0:0:5])");
    }

    @Test
    void proxied_address_outside_relay_hosts_cannot_relay() throws Exception {
        // the TCP peer (127.0.0.1) is a relay host, the proxied client is not: the proxied address counts
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true));
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(a), "--from", "sender@example.test", "--to", "rcpt@example.test",
                "--proxy-version", "2", "--proxy-family", "AF_INET", "--proxy-source", "192.0.2.7",
                "--proxy-source-port", "40005", "--proxy-dest", "127.0.0.1", "--proxy-dest-port", "25");
        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).contains("550 5.7.1");
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void missing_or_invalid_proxy_header_drops_the_connection_without_banner() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true));
        try (var c = new SmtpTestClient(a, "EHLO client.test\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII))) {
            assertThat(c.closedByServer()).isTrue();
        }
        try (var c = new SmtpTestClient(a, "PROXY TCP4 not-an-ip 1.2.3.4 1 2\r\n".getBytes(StandardCharsets.US_ASCII))) {
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void proxy_header_that_never_comes_times_out_silently() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true).withClientTimeout(Duration.ofMillis(300)));
        try (var c = new SmtpTestClient(a)) {
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void smtp_source_32_sessions() throws Exception {
        InetSocketAddress a = servers.start();
        ToolResult r = CommandTool.SMTP_SOURCE.run("-s", "32", "-m", "500", "-l", "2048", "-f", "a@example.test", "-t",
                "b@example.test", hostPort(a));
        assertThat(r.ok()).as(r.describe()).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> servers.injector.messages().size() == 500);
        assertThat(servers.injector.messages()).allSatisfy(m -> assertThat(m.data().length).isGreaterThan(2048));
        await().atMost(Duration.ofSeconds(30)).until(() -> servers.last().activeConnections() == 0);
    }

    @Test
    void smtp_source_pipelining_with_several_recipients() throws Exception {
        InetSocketAddress a = servers.start();
        ToolResult r = CommandTool.SMTP_SOURCE.run(List.of("-s", "4", "-m", "20", "-r", "3", "-f", "a@example.test", "-t",
                "b@example.test", hostPort(a)));
        assertThat(r.ok()).as(r.describe()).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> servers.injector.messages().size() == 60);
    }
}
