package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.net.CidrSet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real sockets: a client that trickles a byte a second (so the per-read client_timeout never fires) is cut
 * at the whole-command or whole-data deadline, and one client address cannot take more than
 * max_connections_per_ip sessions while others still get in.
 */
class EsmtpDeadlinesTest {
    private static final String TIMEOUT = "4.4.2 " + TestServers.HOST + " Error: timeout exceeded";
    private final TestServers servers = new TestServers();

    @AfterEach
    void stop() {
        servers.close();
    }

    /** Sends {@code text} one byte a second until the server answers; returns the reply and the bytes sent. */
    private static SmtpTestClient.Reply trickle(SmtpTestClient c, String text) throws Exception {
        for (int i = 0; i < text.length(); i++) {
            if (c.available() > 0) {
                return c.reply();
            }
            try {
                c.send(text.substring(i, i + 1));
            } catch (java.net.SocketException closed) {
                break; // the server closed after its 421: read it below
            }
            Thread.sleep(1000);
        }
        return c.reply();
    }

    @Test
    void a_command_trickled_a_byte_a_second_gets_421_after_the_command_deadline() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withClientTimeout(Duration.ofSeconds(30))
                .withCommandDeadline(Duration.ofSeconds(3)));
        try (var c = SmtpTestClient.greeted(a)) {
            long start = System.nanoTime();
            var r = trickle(c, "EHLO a-client-that-takes-its-time.example\r\n");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.code()).isEqualTo(421);
            assertThat(r.text()).isEqualTo(TIMEOUT);
            assertThat(tookMillis).as("cut at the deadline, not at the end of the line").isLessThan(10_000);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void message_data_trickled_a_byte_a_second_gets_421_after_the_data_deadline() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withClientTimeout(Duration.ofSeconds(30))
                .withCommandDeadline(Duration.ofSeconds(2)).withDataDeadline(Duration.ofSeconds(4)));
        try (var c = SmtpTestClient.greeted(a)) {
            assertThat(c.cmd("EHLO c.example").code()).isEqualTo(250);
            assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO:<b@example.com>").code()).isEqualTo(250);
            assertThat(c.cmd("DATA").code()).isEqualTo(354);
            var r = trickle(c, "Subject: slow\r\n\r\n" + "x".repeat(30) + "\r\n.\r\n");
            assertThat(r.code()).isEqualTo(421);
            assertThat(r.text()).isEqualTo(TIMEOUT);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void quick_commands_keep_a_session_alive_beyond_the_command_deadline() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withCommandDeadline(Duration.ofSeconds(2)));
        try (var c = SmtpTestClient.greeted(a)) {
            for (int i = 0; i < 4; i++) {
                assertThat(c.cmd("NOOP").code()).isEqualTo(250);
                Thread.sleep(1000);
            }
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void one_address_over_max_connections_per_ip_gets_421_while_another_still_gets_in() throws Exception {
        int limit = 3;
        var config = EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 0),
                EsmtpParams.defaults(TestServers.HOST).withRelayHosts(CidrSet.of("10.0.0.0/8"))
                        .withMaxConnectionsPerIp(limit));
        InetSocketAddress a = servers.start(config);
        InetAddress one = InetAddress.getByName("127.0.0.1");
        List<SmtpTestClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < limit; i++) {
                var c = new SmtpTestClient(a, null, one);
                held.add(c);
                assertThat(c.reply().code()).isEqualTo(220);
            }
            try (var extra = new SmtpTestClient(a, null, one)) {
                var r = extra.reply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.text()).isEqualTo("4.7.0 " + TestServers.HOST + " Error: too many connections from 127.0.0.1");
                assertThat(extra.closedByServer()).isTrue();
            }
            try (var other = new SmtpTestClient(a, null, InetAddress.getByName("127.0.0.2"))) {
                assertThat(other.reply().code()).as("another client address").isEqualTo(220);
                assertThat(other.cmd("EHLO other.example").code()).isEqualTo(250);
            }
            assertThat(held.getFirst().cmd("QUIT").code()).isEqualTo(221);
            await().atMost(Duration.ofSeconds(30)).until(() -> servers.last().connectionsFrom(one) == limit - 1);
            try (var again = new SmtpTestClient(a, null, one)) {
                assertThat(again.reply().code()).as("a place freed by QUIT").isEqualTo(220);
            }
            assertThat(held.get(1).cmd("NOOP").code()).isEqualTo(250);
        } finally {
            for (var c : held) {
                c.close();
            }
        }
    }

    @Test
    void behind_haproxy_the_address_in_the_proxy_header_is_what_counts() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true).withMaxConnectionsPerIp(1)
                .withRelayHosts(CidrSet.of("10.0.0.0/8")));
        byte[] from5 = "PROXY TCP4 192.0.2.5 127.0.0.1 40000 25\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] from6 = "PROXY TCP4 192.0.2.6 127.0.0.1 40001 25\r\n".getBytes(StandardCharsets.US_ASCII);
        try (var first = new SmtpTestClient(a, from5)) {
            assertThat(first.reply().code()).isEqualTo(220);
            try (var second = new SmtpTestClient(a, from5)) {
                var r = second.reply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.text()).isEqualTo("4.7.0 " + TestServers.HOST + " Error: too many connections from 192.0.2.5");
            }
            try (var other = new SmtpTestClient(a, from6)) {
                assertThat(other.reply().code()).as("same TCP peer, another proxied client").isEqualTo(220);
            }
        }
    }

    @Test
    void a_proxy_header_trickled_past_the_command_deadline_is_dropped_without_a_banner() throws Exception {
        InetSocketAddress a = servers.start(p -> p.withRequireProxyProtocol(true)
                .withClientTimeout(Duration.ofSeconds(30)).withCommandDeadline(Duration.ofSeconds(2)));
        try (var c = new SmtpTestClient(a)) {
            String header = "PROXY TCP4 192.0.2.5 127.0.0.1 40000 25\r\n";
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 6 && !closed; i++) { // 3 s for 6 bytes: each read well within client_timeout
                try {
                    c.send(header.substring(i, i + 1));
                } catch (java.net.SocketException e) {
                    closed = true; // already closed (a slow machine overslept)
                }
                Thread.sleep(500);
            }
            assertThat(closed || c.closedByServer()).as("closed without a word").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at the deadline, not at client_timeout")
                    .isLessThan(Duration.ofSeconds(15));
        }
    }

    @Test
    void relay_hosts_are_exempt_from_max_connections_per_ip() throws Exception {
        var config = EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 0),
                EsmtpParams.defaults(TestServers.HOST).withMaxConnectionsPerIp(1)); // relay_hosts: 127.0.0.1, ::1
        InetSocketAddress a = servers.start(config);
        try (var c1 = SmtpTestClient.greeted(a); var c2 = SmtpTestClient.greeted(a); var c3 = SmtpTestClient.greeted(a)) {
            assertThat(c3.cmd("NOOP").code()).isEqualTo(250);
        }
    }
}
