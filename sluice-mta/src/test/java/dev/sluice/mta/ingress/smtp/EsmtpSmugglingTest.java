package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * aiosmtpd's tests/test_smtpsmuggling.py (a fake {@code \n.\r\n} end of data), plus the other known smuggling
 * sequences: DATA ends only at CRLF.CRLF. Each test sends the payload, the real CRLF.CRLF and a NOOP in one
 * write: exactly two replies (the verdict on one message, then 250 for NOOP) prove that nothing in the payload
 * was read as a command.
 */
class EsmtpSmugglingTest {
    private final TestServers servers = new TestServers();

    @AfterEach
    void stop() {
        servers.close();
    }

    private SmtpTestClient.Reply[] sendPayload(UnaryOperator<EsmtpParams> params, String payload) throws Exception {
        var address = servers.start(params);
        try (var c = SmtpTestClient.greeted(address)) {
            SmtpTestClient.expect(c.cmd("HELO example.com"), 250);
            SmtpTestClient.expect(c.cmd("MAIL FROM:<sender@example.com>"), 250);
            SmtpTestClient.expect(c.cmd("RCPT TO:<rcpt1@example.com>"), 250);
            SmtpTestClient.expect(c.cmd("DATA"), 354);
            c.send(payload + "\r\n.\r\nNOOP\r\n");
            var verdict = c.reply();
            var noop = c.reply();
            return new SmtpTestClient.Reply[] {verdict, noop};
        }
    }

    private static final String AIOSMTPD_MESSAGE = "From: Anne Person <anne@example.com>\r\n"
            + "To: Bart Person <bart@example.com>\r\n"
            + "Subject: A test\r\n"
            + "Message-ID: <ant>\r\n"
            + "\r\n"
            + "Testing\n.\r\nNO SMUGGLING\n";

    @Test
    void smtp_smuggling_allowed_line_endings_keep_the_fake_terminator_inside_the_message() throws Exception {
        // aiosmtpd accepts bare LF; that is invalid_line_endings = Allow here
        var replies = sendPayload(p -> p.withInvalidLineEndings(InvalidLineEndings.ALLOW), AIOSMTPD_MESSAGE);
        assertThat(replies[0].code()).isEqualTo(250);
        assertThat(replies[1].code()).isEqualTo(250);
        assertThat(servers.injector.messages()).hasSize(1);
        assertThat(servers.injector.messages().getFirst().dataAsString()).contains("NO SMUGGLING");
    }

    @Test
    void smtp_smuggling_default_deny_rejects_the_message_and_reads_no_command_from_it() throws Exception {
        var replies = sendPayload(p -> p, AIOSMTPD_MESSAGE);
        assertThat(replies[0].code()).isEqualTo(552);
        assertThat(replies[1].code()).isEqualTo(250);
        assertThat(servers.injector.calls).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n.\r\n", "\r.\r\n", "\n.\n", "\r\n.\n", "\r\n.\r", "\r\n.\r\r\n", "\n.\r"})
    void fake_terminators_never_end_data(String fake) throws Exception {
        String smuggled = "Subject: x\r\n\r\nhello" + fake
                + "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nevil";
        var replies = sendPayload(p -> p.withInvalidLineEndings(InvalidLineEndings.ALLOW), smuggled);
        assertThat(replies[0].code()).isEqualTo(250);
        assertThat(replies[1].code()).isEqualTo(250);
        var messages = servers.injector.messages();
        assertThat(messages).hasSize(1);
        assertThat(messages.getFirst().recipient()).isEqualTo("rcpt1@example.com");
        assertThat(messages.getFirst().dataAsString()).contains("MAIL FROM:<evil@example.com>");
    }

    @Test
    void a_dot_line_as_the_first_line_after_a_bare_lf_is_not_the_end() throws Exception {
        var replies = sendPayload(p -> p.withInvalidLineEndings(InvalidLineEndings.FIX), "a\n.\nb");
        assertThat(replies[0].code()).isEqualTo(250);
        assertThat(replies[1].code()).isEqualTo(250);
        assertThat(EsmtpDataTest.body(servers.injector.messages().getFirst())).isEqualTo("a\r\n\r\nb\r\n");
    }

    @Test
    void terminator_split_across_packets_still_ends_data() throws Exception {
        var address = servers.start();
        try (var c = SmtpTestClient.greeted(address)) {
            c.cmd("HELO example.com");
            c.cmd("MAIL FROM:<s@example.com>");
            c.cmd("RCPT TO:<r@example.com>");
            c.cmd("DATA");
            for (String part : List.of("body\r", "\n", ".", "\r", "\n")) {
                c.send(part);
                Thread.yield();
            }
            assertThat(c.reply().code()).isEqualTo(250);
        }
    }
}
