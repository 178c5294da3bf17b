package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.net.Cidr;
import dev.sluice.net.CidrSet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listener limits, relaying, admission and the order of 250 and the injector's answer. */
class EsmtpLimitsTest {
    private final TestServers servers = new TestServers();

    @AfterEach
    void stop() {
        servers.close();
    }

    @Test
    void connections_over_max_connections_get_421_and_are_closed() throws Exception {
        InetSocketAddress a = servers.start(EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 0),
                EsmtpParams.defaults(TestServers.HOST)).withMaxConnections(2));
        try (var c1 = SmtpTestClient.greeted(a); var c2 = SmtpTestClient.greeted(a)) {
            try (var c3 = new SmtpTestClient(a)) {
                var r = c3.reply();
                assertThat(r.code()).isEqualTo(421);
                assertThat(r.text()).isEqualTo("4.3.2 " + TestServers.HOST + " too many concurrent sessions");
                assertThat(c3.closedByServer()).isTrue();
            }
            c1.cmd("QUIT");
            await().atMost(Duration.ofSeconds(30)).until(() -> servers.last().activeConnections() == 1);
            try (var c4 = new SmtpTestClient(a)) {
                assertThat(c4.reply().code()).isEqualTo(220);
            }
            assertThat(c2.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void recipients_over_the_limit_get_452() throws Exception {
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withMaxRecipientsPerMessage(2)))) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            assertThat(c.cmd("RCPT TO:<b1@example.com>").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO:<b2@example.com>").code()).isEqualTo(250);
            var r = c.cmd("RCPT TO:<b3@example.com>");
            assertThat(r.code()).isEqualTo(452);
            assertThat(r.text()).startsWith("4.5.3 ");
            c.cmd("DATA");
            c.send("x\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        assertThat(servers.injector.messages()).hasSize(2);
    }

    @Test
    void messages_over_the_per_connection_limit_get_a_transient_failure() throws Exception {
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withMaxMessagesPerConnection(1)))) {
            c.cmd("EHLO x.test");
            assertThat(c.transaction("a@example.com", List.of("b@example.com"), "x").code()).isEqualTo(250);
            var r = c.cmd("MAIL FROM:<a@example.com>");
            assertThat(r.code()).isEqualTo(451);
            assertThat(r.text()).startsWith("4.5.3 ");
        }
    }

    @Test
    void client_timeout_gets_421_and_close() throws Exception {
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withClientTimeout(Duration.ofMillis(500))))) {
            c.cmd("EHLO x.test");
            var r = c.reply(); // nothing sent: the server speaks first
            assertThat(r.code()).isEqualTo(421);
            assertThat(r.text()).isEqualTo("4.4.2 " + TestServers.HOST + " timeout waiting for client");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void client_stalling_in_data_gets_421_and_nothing_is_injected() throws Exception {
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withClientTimeout(Duration.ofMillis(500))))) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            c.cmd("RCPT TO:<b@example.com>");
            c.cmd("DATA");
            c.send("Subject: half a message\r\n");
            assertThat(c.reply().code()).isEqualTo(421);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void reply_after_data_waits_for_the_injector() throws Exception {
        servers.injector.hold = true;
        try (var c = SmtpTestClient.greeted(servers.start())) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            c.cmd("RCPT TO:<b@example.com>");
            c.cmd("DATA");
            c.send("Subject: held\r\n\r\nx\r\n.\r\nNOOP\r\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> servers.injector.calls.size() == 1);
            assertThat(c.available()).as("no reply while the injector has not answered").isZero();
            assertThat(servers.last().transactionsInFlight()).isEqualTo(1);
            // if the server had answered early it could not know the outcome decided only now
            servers.injector.answer = ms -> ms.stream()
                    .<InjectResult>map(m -> new InjectResult.TemporaryFailure(451, "4.3.0", "spool busy")).toList();
            servers.injector.release(servers.injector.calls.getFirst());
            var r = c.reply();
            assertThat(r.code()).isEqualTo(451);
            assertThat(r.text()).isEqualTo("4.3.0 spool busy");
            assertThat(c.reply().code()).as("the pipelined NOOP, answered after").isEqualTo(250);
            assertThat(servers.last().transactionsInFlight()).isZero();

            servers.injector.answer = ms -> ms.stream()
                    .<InjectResult>map(m -> new InjectResult.Accepted(m.id())).toList();
            c.cmd("MAIL FROM:<a@example.com>");
            c.cmd("RCPT TO:<b@example.com>");
            c.cmd("DATA");
            c.send("x\r\n.\r\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> servers.injector.calls.size() == 2);
            assertThat(c.available()).isZero();
            servers.injector.release(servers.injector.calls.get(1));
            assertThat(c.reply().code()).isEqualTo(250);
        }
    }

    @Test
    void injector_slower_than_data_processing_timeout_gets_451() throws Exception {
        servers.injector.hold = true;
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withDataProcessingTimeout(Duration.ofMillis(300))))) {
            c.cmd("EHLO x.test");
            var r = c.transaction("a@example.com", List.of("b@example.com"), "x");
            assertThat(r.code()).isEqualTo(451);
            assertThat(r.text()).isEqualTo("4.4.5 data processing timed out, try again later");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
        assertThat(servers.injector.calls.getFirst().result()).as("the injector's own future is untouched")
                .isNotDone();
    }

    @Test
    void partial_acceptance_answers_with_the_first_failure() throws Exception {
        servers.injector.answer = ms -> List.of(new InjectResult.Accepted(ms.get(0).id()),
                new InjectResult.Rejected(550, "5.1.1", "no such user"));
        try (var c = SmtpTestClient.greeted(servers.start())) {
            c.cmd("EHLO x.test");
            var r = c.transaction("a@example.com", List.of("ok@example.com", "bad@example.com"), "x");
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.text()).isEqualTo("5.1.1 no such user");
        }
    }

    @Test
    void injector_failure_is_a_451() throws Exception {
        servers.injector.answer = ms -> {
            throw new IllegalStateException("boom");
        };
        try (var c = SmtpTestClient.greeted(servers.start())) {
            c.cmd("EHLO x.test");
            var r = c.transaction("a@example.com", List.of("b@example.com"), "x");
            assertThat(r.code()).isEqualTo(451);
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void relaying_outside_relay_hosts_is_refused_unless_the_policy_allows_the_domain() throws Exception {
        servers.relayPolicy = (domain, ctx) -> CompletableFuture.supplyAsync(() -> domain.equals("allowed.test"));
        try (var c = SmtpTestClient.greeted(servers.start(p -> p.withRelayHosts(CidrSet.of("10.0.0.0/8"))))) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            var r = c.cmd("RCPT TO:<b@example.com>");
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.text()).startsWith("5.7.1 ");
            assertThat(c.cmd("RCPT TO:<b@Allowed.TEST>").code()).isEqualTo(250);
            // pipelined behind an asynchronous relay check: still in order
            c.send("RCPT TO:<c@allowed.test>\r\nRCPT TO:<d@other.test>\r\nNOOP\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(550);
            assertThat(c.reply().code()).isEqualTo(250);
        }
    }

    @Test
    void default_relay_hosts_let_loopback_relay() throws Exception {
        try (var c = SmtpTestClient.greeted(servers.start())) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            assertThat(c.cmd("RCPT TO:<b@anywhere.example>").code()).isEqualTo(250);
        }
    }

    @Test
    void admission_refusal_is_452_with_the_reason() throws Exception {
        servers.admission = () -> Optional.of("free space below min_free_space on /spool");
        try (var c = SmtpTestClient.greeted(servers.start())) {
            c.cmd("EHLO x.test");
            var r = c.cmd("MAIL FROM:<a@example.com>");
            assertThat(r.code()).isEqualTo(452);
            assertThat(r.text()).isEqualTo("4.3.1 free space below min_free_space on /spool");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void peer_block_overrides_params_for_its_clients_only() throws Exception {
        var config = EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 0),
                        EsmtpParams.defaults(TestServers.HOST).withRelayHosts(CidrSet.of("127.0.0.0/8")))
                .withOverrides(List.of(), List.of(
                        new ParamsOverride(Cidr.parse("127.0.0.0/8"), p -> p.withMaxRecipientsPerMessage(5)),
                        new ParamsOverride(Cidr.parse("127.0.0.2/32"), p -> p.withMaxRecipientsPerMessage(1))));
        InetSocketAddress a = servers.start(config);
        try (var c = new SmtpTestClient(a, null, InetAddress.getByName("127.0.0.2"))) {
            c.reply();
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            assertThat(c.cmd("RCPT TO:<b1@example.com>").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO:<b2@example.com>").code()).as("most specific block wins").isEqualTo(452);
        }
        try (var c = SmtpTestClient.greeted(a)) {
            c.cmd("EHLO x.test");
            c.cmd("MAIL FROM:<a@example.com>");
            for (int i = 0; i < 5; i++) {
                assertThat(c.cmd("RCPT TO:<b" + i + "@example.com>").code()).isEqualTo(250);
            }
            assertThat(c.cmd("RCPT TO:<b9@example.com>").code()).isEqualTo(452);
        }
    }
}
