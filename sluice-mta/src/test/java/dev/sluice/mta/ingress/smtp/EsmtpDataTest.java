package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.message.Message;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The DATA cases of aiosmtpd's tests/test_smtp.py (TestProtocol, TestSMTPWithController, TestClientCrash). */
class EsmtpDataTest {
    private final TestServers servers = new TestServers();

    @AfterEach
    void stop() {
        servers.close();
    }

    /** The message data after Sluice's Received header. */
    static String body(Message m) {
        String s = m.dataAsString();
        assertThat(s).startsWith("Received: from ");
        int end = s.indexOf("\r\n", s.indexOf("\r\n\t", s.indexOf("\r\n\t") + 3) + 3);
        return s.substring(end + 2);
    }

    private SmtpTestClient session(UnaryOperator<EsmtpParams> params) throws Exception {
        InetSocketAddress a = servers.start(params);
        var c = SmtpTestClient.greeted(a);
        c.cmd("HELO example.org");
        c.cmd("MAIL FROM: <anne@example.com>");
        c.cmd("RCPT TO: <anne@example.com>");
        SmtpTestClient.expect(c.cmd("DATA"), 354);
        return c;
    }

    @Test
    void honors_mail_delimiters_when_allowed() throws Exception {
        // aiosmtpd keeps bare CR and LF as they are; in Sluice that takes invalid_line_endings = Allow
        try (var c = session(p -> p.withInvalidLineEndings(InvalidLineEndings.ALLOW))) {
            c.send("test\r\nmail\rdelimeters\nsaved\r\n.\r\nQUIT\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(221);
        }
        // aiosmtpd strips the CRLF before the dot; it belongs to the last line (RFC 5321 4.1.1.4), so it stays
        assertThat(body(servers.injector.messages().getFirst())).isEqualTo("test\r\nmail\rdelimeters\nsaved\r\n");
    }

    @Test
    void bare_line_endings_are_denied_by_default() throws Exception {
        try (var c = session(p -> p)) {
            c.send("test\r\nmail\rdelimeters\nsaved\r\n.\r\n");
            var r = c.reply();
            assertThat(r.code()).isEqualTo(552);
            assertThat(r.text()).startsWith("5.6.0 ");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void bare_line_endings_are_fixed_with_fix() throws Exception {
        try (var c = session(p -> p.withInvalidLineEndings(InvalidLineEndings.FIX))) {
            c.send("test\r\nmail\rdelimeters\nsaved\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        assertThat(body(servers.injector.messages().getFirst()))
                .isEqualTo("test\r\nmail\r\ndelimeters\r\nsaved\r\n");
    }

    @Test
    void empty_email() throws Exception {
        try (var c = session(p -> p)) {
            c.send(".\r\n");
            var r = c.reply();
            assertThat(r.code()).isEqualTo(250);
            assertThat(r.text()).startsWith("2.0.0 OK ids=");
        }
        assertThat(body(servers.injector.messages().getFirst())).isEmpty();
    }

    @Test
    void too_long_message_body() throws Exception {
        try (var c = session(p -> p.withMaxMessageSize(100))) {
            c.send(String.join("\r\n", java.util.Collections.nCopies(10, "z".repeat(20))) + "\r\n.\r\n");
            var r = c.reply();
            assertThat(r.code()).isEqualTo(552);
            assertThat(r.text()).isEqualTo("5.3.4 Error: Too much mail data");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO:<x@example.com>").code()).as("transaction is over").isEqualTo(503);
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void data_line_too_long() throws Exception {
        try (var c = session(p -> p.withLineLengthHardLimit(50))) {
            c.send("short\r\n" + "x".repeat(51) + "\r\nend\r\n.\r\n");
            var r = c.reply();
            assertThat(r.code()).isEqualTo(500);
            assertThat(r.text()).isEqualTo("5.5.2 line too long");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
        assertThat(servers.injector.calls).isEmpty();
    }

    @Test
    void very_long_data_line_is_scanned_not_kept() throws Exception {
        try (var c = session(p -> p)) {
            c.send("y".repeat(200_000) + "\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(500);
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void dots_escaped() throws Exception {
        try (var c = session(p -> p)) {
            c.send("Test\r\n..\r\n..x\r\nmail\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        assertThat(body(servers.injector.messages().getFirst())).isEqualTo("Test\r\n.\r\n.x\r\nmail\r\n");
    }

    @Test
    void process_message_error_is_relayed() throws Exception {
        servers.injector.answer = ms -> ms.stream()
                .<InjectResult>map(m -> new InjectResult.Rejected(554, "5.7.1", "Could not accept the message"))
                .toList();
        try (var c = session(p -> p)) {
            c.send("From: anne@example.com\r\nSubject: A test\r\n\r\nTesting\r\n.\r\n");
            var r = c.reply();
            assertThat(r.code()).isEqualTo(554);
            assertThat(r.text()).isEqualTo("5.7.1 Could not accept the message");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void received_header_names_client_helo_host_and_id() throws Exception {
        String reply;
        try (var c = session(p -> p)) {
            c.send("Subject: x\r\n\r\nhi\r\n.\r\n");
            reply = c.reply().text();
        }
        Message m = servers.injector.messages().getFirst();
        assertThat(reply).isEqualTo("2.0.0 OK ids=" + m.id());
        assertThat(m.dataAsString()).matches("(?s)Received: from example\\.org \\(\\[127\\.0\\.0\\.1\\]\\)\r\n"
                + "\tby mx\\.sluice\\.test \\(Sluice\\) with SMTP id " + m.id() + ";\r\n"
                + "\t\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\r\n"
                + "Subject: x\r\n\r\nhi\r\n");
        var ctx = servers.injector.calls.getFirst().context();
        assertThat(ctx.protocol()).isEqualTo("ESMTP");
        assertThat(ctx.heloName()).isEqualTo("example.org");
        assertThat(ctx.peer().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void one_message_per_recipient_sharing_the_data() throws Exception {
        InetSocketAddress a = servers.start();
        try (var c = SmtpTestClient.greeted(a)) {
            c.cmd("EHLO client.test");
            var r = c.transaction("anne@example.com", List.of("b1@example.com", "b2@example.net"), "Subject: s\r\n\r\nx");
            assertThat(r.code()).isEqualTo(250);
        }
        var msgs = servers.injector.messages();
        assertThat(msgs).extracting(Message::recipient).containsExactly("b1@example.com", "b2@example.net");
        assertThat(msgs.get(0).data()).isEqualTo(msgs.get(1).data());
        assertThat(msgs.get(0).dataAsString()).contains("with ESMTP id " + msgs.get(0).id());
        assertThat(msgs.get(0).meta("received_from")).asString().startsWith("127.0.0.1:");
    }

    @Test
    void connection_reset_during_data_injects_nothing_and_server_goes_on() throws Exception {
        InetSocketAddress a = servers.start();
        var c = SmtpTestClient.greeted(a);
        c.cmd("HELO example.com");
        c.cmd("MAIL FROM: <anne@example.com>");
        c.cmd("RCPT TO: <bart@example.com>");
        c.cmd("DATA");
        c.send("From: <anne@example.com>");
        c.close();
        var c2 = SmtpTestClient.greeted(a);
        c2.send("MAIL FROM: <anne");
        c2.close();
        try (var c3 = SmtpTestClient.greeted(a)) {
            c3.cmd("HELO example.com");
            assertThat(c3.transaction("a@example.com", List.of("b@example.com"), "x").code()).isEqualTo(250);
        }
        assertThat(servers.injector.calls).hasSize(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> servers.last().activeConnections() == 0);
    }

    @Test
    void utf8_data_is_kept_byte_for_byte() throws Exception {
        try (var c = session(p -> p)) {
            c.send("Subject: caf\u00e9\r\n\r\n\u00fcber\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        assertThat(body(servers.injector.messages().getFirst()).getBytes(StandardCharsets.UTF_8))
                .isEqualTo("Subject: caf\u00e9\r\n\r\n\u00fcber\r\n".getBytes(StandardCharsets.UTF_8));
    }
}
