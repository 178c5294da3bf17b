package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Input a listener must refuse, over a real socket, with Postfix's replies (RFC 5321 and 6531 codes): malformed
 * and oversized addresses, UTF-8 addresses without SMTPUTF8, control characters in a command line, and a SIZE too
 * large for a long. After each refusal the session goes on, and nothing refused reaches the injector.
 */
class EsmtpRefusalsTest {
    private TestServers servers;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        servers = new TestServers();
        address = servers.start();
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private SmtpTestClient ehlo() throws Exception {
        var c = SmtpTestClient.greeted(address);
        assertThat(c.cmd("EHLO client.example").code()).isEqualTo(250);
        return c;
    }

    private static void refused(SmtpTestClient.Reply r, int code, String text) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.text()).isEqualTo(text);
    }

    @Test
    void invalid_address_literals_are_refused_as_postfix_does() throws Exception {
        try (var c = ehlo()) {
            refused(c.cmd("MAIL FROM:<a@[300.1.1.1]>"), 501, "5.1.7 Bad sender address syntax");
            refused(c.cmd("MAIL FROM:<a@[1.2.3]>"), 501, "5.1.7 Bad sender address syntax");
            refused(c.cmd("MAIL FROM:<a@[IPv6:1::2::3]>"), 501, "5.1.7 Bad sender address syntax");
            assertThat(c.cmd("MAIL FROM:<a@[192.0.2.1]>").code()).isEqualTo(250);
            refused(c.cmd("RCPT TO:<b@[300.1.1.1]>"), 501, "5.1.3 Bad recipient address syntax");
            refused(c.cmd("RCPT TO:<b@exa_mple..com>"), 501, "5.1.3 Bad recipient address syntax");
            assertThat(c.cmd("RCPT TO:<b@[IPv6:2001:db8::1]>").code()).isEqualTo(250);
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void utf8_address_without_smtputf8_gets_553_5_6_7() throws Exception {
        try (var c = ehlo()) {
            refused(c.cmd("MAIL FROM:<anne\u00CB@example.com>"), 553,
                    "5.6.7 Must declare SMTPUTF8 to send unicode address");
            refused(c.cmd("MAIL FROM:<anne@b\u00FCcher.example>"), 553,
                    "5.6.7 Must declare SMTPUTF8 to send unicode address");
            assertThat(c.cmd("MAIL FROM:<anne@example.com>").code()).isEqualTo(250);
            refused(c.cmd("RCPT TO:<bart\u00CB@example.com>"), 553,
                    "5.6.7 Must declare SMTPUTF8 to send unicode address");
            assertThat(c.cmd("RSET").code()).isEqualTo(250);
            assertThat(c.cmd("MAIL FROM:<anne\u00CB@b\u00FCcher.example> SMTPUTF8").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO:<bart\u00CB@b\u00FCcher.example>").code()).isEqualTo(250);
        }
    }

    @Test
    void local_part_over_64_octets_and_path_over_256_are_refused() throws Exception {
        String longLocal = "l".repeat(300);
        try (var c = ehlo()) {
            refused(c.cmd("MAIL FROM:<" + longLocal + "@example.com>"), 501, "5.1.7 Bad sender address syntax");
            refused(c.cmd("MAIL FROM:<" + "l".repeat(65) + "@example.com>"), 501, "5.1.7 Bad sender address syntax");
            assertThat(c.cmd("MAIL FROM:<" + "l".repeat(64) + "@example.com>").code()).isEqualTo(250);
            refused(c.cmd("RCPT TO:<" + longLocal + "@example.com>"), 501, "5.1.3 Bad recipient address syntax");
            String longDomain = ("d".repeat(63) + ".").repeat(3) + "example";
            refused(c.cmd("RCPT TO:<" + "l".repeat(64) + "@" + longDomain + ">"), 501,
                    "5.1.3 Bad recipient address syntax");
            assertThat(c.cmd("RCPT TO:<b@example.com>").code()).isEqualTo(250);
            assertThat(c.cmd("DATA").code()).isEqualTo(354);
            c.send("Subject: x\r\n\r\nx\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        assertThat(servers.injector.messages()).singleElement()
                .satisfies(m -> assertThat(m.recipient()).isEqualTo("b@example.com"));
    }

    @Test
    void nul_and_other_control_characters_in_a_command_line_are_refused() throws Exception {
        try (var c = SmtpTestClient.greeted(address)) {
            c.send("EHLO a\0b\r\n".getBytes(StandardCharsets.UTF_8));
            refused(c.reply(), 500, "5.5.2 Error: bad syntax");
            // the name was not taken: the session still has no HELO
            refused(c.cmd("MAIL FROM:<a@example.com>"), 503, "5.5.1 Error: send HELO first");
            for (String bad : List.of("HELO a\0b", "EHLO a\u0001b", "EHLO a\rb", "EHLO a\u007fb", "EHLO a\u0085b",
                    "NOOP \0")) {
                refused(c.cmd(bad), 500, "5.5.2 Error: bad syntax");
            }
            refused(c.cmd("EHLO a\tb"), 501, "5.5.4 Syntax: EHLO hostname");
            assertThat(c.cmd("EHLO client.example").code()).isEqualTo(250);
            refused(c.cmd("MAIL FROM:<a\0@example.com>"), 500, "5.5.2 Error: bad syntax");
            assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
            refused(c.cmd("RCPT TO:<b@example.com\0>"), 500, "5.5.2 Error: bad syntax");
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void size_beyond_a_long_is_over_the_limit_not_a_syntax_error() throws Exception {
        try (var c = ehlo()) {
            refused(c.cmd("MAIL FROM:<a@example.com> SIZE=99999999999999999999"), 552,
                    "5.3.4 Message size exceeds fixed limit");
            refused(c.cmd("MAIL FROM:<a@example.com> SIZE=" + (EsmtpParams.DEFAULT_MAX_MESSAGE_SIZE + 1)), 552,
                    "5.3.4 Message size exceeds fixed limit");
            refused(c.cmd("MAIL FROM:<a@example.com> SIZE=1e9"), 501,
                    "5.5.4 Syntax: MAIL FROM:<address> [SP <mail-parameters>]");
            assertThat(c.cmd("MAIL FROM:<a@example.com> SIZE=" + EsmtpParams.DEFAULT_MAX_MESSAGE_SIZE).code())
                    .isEqualTo(250);
        }
        assertThat(servers.injector.calls).isEmpty();
    }
}
