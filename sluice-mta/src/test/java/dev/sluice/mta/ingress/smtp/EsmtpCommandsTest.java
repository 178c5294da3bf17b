package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The command cases of aiosmtpd's tests/test_smtp.py (TestSMTP, TestResetCommands, TestSMTPWithController),
 * against a real listener. Where Sluice answers differently the test says so; enhanced status codes are added
 * everywhere (ENHANCEDSTATUSCODES is advertised). After every malformed command the session must go on, so most
 * tests end with a NOOP that must get 250.
 */
class EsmtpCommandsTest {
    private TestServers servers;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        servers = new TestServers();
        address = servers.start(p -> p.withMaxMessageSize(9999));
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private SmtpTestClient client() throws Exception {
        return SmtpTestClient.greeted(address);
    }

    private static void sessionGoesOn(SmtpTestClient c) throws Exception {
        assertThat(c.cmd("NOOP").code()).isEqualTo(250);
    }

    @Test
    void banner_names_host_and_sluice() throws Exception {
        try (var c = new SmtpTestClient(address)) {
            var banner = c.reply();
            assertThat(banner.code()).isEqualTo(220);
            assertThat(banner.text()).isEqualTo(TestServers.HOST + " Sluice ESMTP");
        }
    }

    @Test
    void helo() throws Exception {
        try (var c = client()) {
            var r = c.cmd("HELO example.com");
            assertThat(r.code()).isEqualTo(250);
            assertThat(r.text()).isEqualTo(TestServers.HOST);
        }
    }

    @Test
    void helo_no_hostname() throws Exception {
        try (var c = client()) {
            var r = c.cmd("HELO");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: HELO hostname");
            sessionGoesOn(c);
        }
    }

    @Test
    void helo_duplicate_and_mixed_with_ehlo() throws Exception {
        try (var c = client()) {
            assertThat(c.cmd("HELO example.com").code()).isEqualTo(250);
            assertThat(c.cmd("HELO example.org").code()).isEqualTo(250);
            assertThat(c.cmd("EHLO example.org").code()).isEqualTo(250);
            assertThat(c.cmd("EHLO example.net").code()).isEqualTo(250);
            assertThat(c.cmd("HELO example.com").code()).isEqualTo(250);
        }
    }

    @Test
    void ehlo_lists_extensions() throws Exception {
        try (var c = client()) {
            var r = c.cmd("EHLO example.com");
            assertThat(r.code()).isEqualTo(250);
            // aiosmtpd: SIZE 33554432, SMTPUTF8, HELP; Sluice lists what KumoMTA does
            assertThat(r.lines()).containsExactly(TestServers.HOST, "PIPELINING", "SIZE 9999", "8BITMIME", "SMTPUTF8",
                    "STARTTLS", "ENHANCEDSTATUSCODES");
        }
    }

    @Test
    void ehlo_no_hostname() throws Exception {
        try (var c = client()) {
            var r = c.cmd("EHLO");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: EHLO hostname");
            sessionGoesOn(c);
        }
    }

    @Test
    void noop_and_noop_with_argument() throws Exception {
        try (var c = client()) {
            assertThat(c.cmd("NOOP").code()).isEqualTo(250);
            // aiosmtpd: 501; RFC 5321 4.1.1.9 says NOOP may carry a string to be ignored (Postfix, KumoMTA: 250)
            assertThat(c.cmd("NOOP oops").code()).isEqualTo(250);
        }
    }

    @Test
    void quit() throws Exception {
        try (var c = client()) {
            var r = c.cmd("QUIT");
            assertThat(r.code()).isEqualTo(221);
            assertThat(r.text()).isEqualTo("2.0.0 " + TestServers.HOST + " Bye");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void quit_with_argument() throws Exception {
        try (var c = client()) {
            var r = c.cmd("QUIT oops");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: QUIT");
            sessionGoesOn(c);
        }
    }

    @Test
    void help() throws Exception {
        // aiosmtpd answers HELP with 250; RFC 5321 says 214
        try (var c = client()) {
            var r = c.cmd("HELP");
            assertThat(r.code()).isEqualTo(214);
            assertThat(r.text()).isEqualTo("2.0.0 " + HelpCommand.SUPPORTED);
            assertThat(c.cmd("HELP HELO").text()).isEqualTo("2.0.0 Syntax: HELO hostname");
            assertThat(c.cmd("HELP EHLO").text()).isEqualTo("2.0.0 Syntax: EHLO hostname");
            assertThat(c.cmd("HELP MAIL").text()).isEqualTo("2.0.0 Syntax: MAIL FROM:<address>");
            assertThat(c.cmd("HELP RCPT").text()).isEqualTo("2.0.0 Syntax: RCPT TO:<address>");
            assertThat(c.cmd("HELP DATA").text()).isEqualTo("2.0.0 Syntax: DATA");
            assertThat(c.cmd("HELP RSET").text()).isEqualTo("2.0.0 Syntax: RSET");
            assertThat(c.cmd("HELP NOOP").text()).isEqualTo("2.0.0 Syntax: NOOP");
            assertThat(c.cmd("HELP QUIT").text()).isEqualTo("2.0.0 Syntax: QUIT");
            assertThat(c.cmd("HELP VRFY").text()).isEqualTo("2.0.0 Syntax: VRFY <address>");
            c.cmd("EHLO example.com");
            assertThat(c.cmd("HELP MAIL").text()).isEqualTo("2.0.0 Syntax: MAIL FROM:<address> [SP <mail-parameters>]");
            assertThat(c.cmd("HELP RCPT").text()).isEqualTo("2.0.0 Syntax: RCPT TO:<address> [SP <rcpt-parameters>]");
        }
    }

    @Test
    void help_bad_argument() throws Exception {
        try (var c = client()) {
            var r = c.cmd("HELP me!");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 " + HelpCommand.SUPPORTED);
            sessionGoesOn(c);
        }
    }

    @Test
    void expn() throws Exception {
        try (var c = client()) {
            var r = c.cmd("EXPN anne@example.com");
            assertThat(r.code()).isEqualTo(502);
            assertThat(r.text()).isEqualTo("5.5.1 EXPN not implemented");
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_no_helo() throws Exception {
        try (var c = client()) {
            var r = c.cmd("MAIL FROM: <anne@example.com>");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: send HELO first");
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_syntax_errors_without_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("HELO example.com");
            for (String bad : List.of("MAIL", "MAIL <anne@example.com>", "MAIL FROM: <anne@example.com> SIZE=10000",
                    "MAIL FROM: Anne <anne@example.com>", "MAIL FROM:", "MAIL FROM:<anne@example.com")) {
                var r = c.cmd(bad);
                assertThat(r.code()).as(bad).isEqualTo(501);
                assertThat(r.text()).as(bad).isEqualTo("5.5.4 Syntax: MAIL FROM:<address>");
            }
            sessionGoesOn(c);
            assertThat(c.cmd("MAIL FROM:<anne@example.com>").code()).isEqualTo(250);
        }
    }

    @Test
    void mail_params_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            var r = c.cmd("MAIL FROM: <anne@example.com> SIZE=1000");
            assertThat(r.code()).isEqualTo(250);
            assertThat(r.text()).isEqualTo("2.1.0 OK");
        }
    }

    @Test
    void mail_from_twice() throws Exception {
        try (var c = client()) {
            c.cmd("HELO example.com");
            assertThat(c.cmd("MAIL FROM: <anne@example.com>").code()).isEqualTo(250);
            var r = c.cmd("MAIL FROM: <anne@example.com>");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: nested MAIL command");
        }
    }

    @Test
    void mail_malformed_params_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            for (String bad : List.of("MAIL FROM: <anne@example.com> SIZE 10000", "MAIL FROM: <anne@example.com> SIZE",
                    "MAIL FROM: <anne@example.com> #$%=!@#", "MAIL FROM: <anne@example.com> SIZE=ten")) {
                var r = c.cmd(bad);
                assertThat(r.code()).as(bad).isEqualTo(501);
                assertThat(r.text()).as(bad).isEqualTo("5.5.4 Syntax: MAIL FROM:<address> [SP <mail-parameters>]");
            }
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_unrecognized_params_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            var r = c.cmd("MAIL FROM: <anne@example.com> FOO=BAR");
            assertThat(r.code()).isEqualTo(555);
            assertThat(r.text()).isEqualTo("5.5.4 MAIL FROM parameters not recognized or not implemented");
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_quoted_local_part_is_accepted() throws Exception {
        // aiosmtpd's test_mail_fail_parse_email mocks a parser bug; here the address is simply valid
        try (var c = client()) {
            c.cmd("HELO example.com");
            assertThat(c.cmd("MAIL FROM: <\"\"@example.com>").code()).isEqualTo(250);
        }
    }

    @Test
    void mail_null_sender_and_bad_sender() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            assertThat(c.cmd("MAIL FROM:<>").code()).isEqualTo(250);
            c.cmd("RSET");
            var r = c.cmd("MAIL FROM:<no-at-sign>");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.1.7 Bad sender address syntax");
            sessionGoesOn(c);
        }
    }

    @Test
    void rcpt_sequence_errors() throws Exception {
        try (var c = client()) {
            var r = c.cmd("RCPT TO: <anne@example.com>");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: send HELO first");
            c.cmd("HELO example.com");
            r = c.cmd("RCPT TO: <anne@example.com>");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: need MAIL command");
            sessionGoesOn(c);
        }
    }

    @Test
    void rcpt_syntax_errors_without_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("HELO example.com");
            c.cmd("MAIL FROM: <anne@example.com>");
            for (String bad : List.of("RCPT", "RCPT <anne@example.com", "RCPT TO:",
                    "RCPT TO: <bart@example.com> SIZE=1000")) {
                var r = c.cmd(bad);
                assertThat(r.code()).as(bad).isEqualTo(501);
                assertThat(r.text()).as(bad).isEqualTo("5.5.4 Syntax: RCPT TO:<address>");
            }
            sessionGoesOn(c);
            assertThat(c.cmd("RCPT TO:<bart@example.com>").code()).isEqualTo(250);
        }
    }

    @Test
    void rcpt_syntax_errors_esmtp() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            c.cmd("MAIL FROM: <anne@example.com>");
            for (String bad : List.of("RCPT", "RCPT TO:", "RCPT TO: <bart@example.com> #$%=!@#")) {
                var r = c.cmd(bad);
                assertThat(r.code()).as(bad).isEqualTo(501);
                assertThat(r.text()).as(bad).isEqualTo("5.5.4 Syntax: RCPT TO:<address> [SP <rcpt-parameters>]");
            }
            var r = c.cmd("RCPT TO: <bart@example.com> FOOBAR");
            assertThat(r.code()).isEqualTo(555);
            assertThat(r.text()).isEqualTo("5.5.4 RCPT TO parameters not recognized or not implemented");
            sessionGoesOn(c);
        }
    }

    @Test
    void rset() throws Exception {
        try (var c = client()) {
            var r = c.cmd("RSET");
            assertThat(r.code()).isEqualTo(250);
            assertThat(r.text()).isEqualTo("2.0.0 OK");
            r = c.cmd("RSET FOO");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: RSET");
            sessionGoesOn(c);
        }
    }

    @Test
    void vrfy() throws Exception {
        try (var c = client()) {
            var r = c.cmd("VRFY <anne@example.com>");
            assertThat(r.code()).isEqualTo(252);
            assertThat(r.text()).isEqualTo("2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
            r = c.cmd("VRFY");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: VRFY <address>");
            // aiosmtpd: 502 "Could not VRFY @@"; a malformed argument is a syntax error (501) here
            r = c.cmd("VRFY @@");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.1.3 Could not VRFY @@");
            sessionGoesOn(c);
        }
    }

    @Test
    void data_sequence_and_syntax_errors() throws Exception {
        try (var c = client()) {
            var r = c.cmd("DATA");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: send HELO first");
            c.cmd("HELO example.com");
            r = c.cmd("DATA");
            // aiosmtpd says "need RCPT command" here too; without MAIL, Sluice asks for MAIL first
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: need MAIL command");
            c.cmd("MAIL FROM: <anne@example.com>");
            r = c.cmd("DATA");
            assertThat(r.code()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("5.5.1 Error: need RCPT command");
            c.cmd("RCPT TO: <anne@example.com>");
            r = c.cmd("DATA FOOBAR");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Syntax: DATA");
            sessionGoesOn(c);
        }
    }

    @Test
    void empty_command() throws Exception {
        try (var c = client()) {
            var r = c.cmd("");
            assertThat(r.code()).isEqualTo(500);
            assertThat(r.text()).isEqualTo("5.5.2 Error: bad syntax");
            sessionGoesOn(c);
        }
    }

    @Test
    void too_long_command() throws Exception {
        // aiosmtpd's limit is 512; Sluice's is line_length_hard_limit (998)
        try (var c = client()) {
            var r = c.cmd("a".repeat(999));
            assertThat(r.code()).isEqualTo(500);
            assertThat(r.text()).isEqualTo("5.5.2 line too long");
            sessionGoesOn(c);
            assertThat(c.cmd("NOOP " + "a".repeat(993)).code()).as("998 bytes is allowed").isEqualTo(250);
        }
    }

    @Test
    void unknown_command() throws Exception {
        try (var c = client()) {
            var r = c.cmd("FOOBAR");
            assertThat(r.code()).isEqualTo(500);
            assertThat(r.text()).isEqualTo("5.5.1 Error: command \"FOOBAR\" not recognized");
            sessionGoesOn(c);
        }
    }

    @Test
    void invalid_utf8_command() throws Exception {
        // aiosmtpd (test_bad_encodings) passes such bytes through with surrogateescape; Sluice refuses them
        try (var c = client()) {
            c.cmd("EHLO test");
            c.send(new byte[] {'M', 'A', 'I', 'L', ' ', 'F', 'R', 'O', 'M', ':', 'a', (byte) 0xFF, '@', 'x', '\r', '\n'});
            var r = c.reply();
            assertThat(r.code()).isEqualTo(500);
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_with_size_too_large() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            var r = c.cmd("MAIL FROM: <anne@example.com> SIZE=10000");
            assertThat(r.code()).isEqualTo(552);
            assertThat(r.text()).isEqualTo("5.3.4 Message size exceeds fixed limit"); // Postfix's text
            sessionGoesOn(c);
        }
    }

    @Test
    void mail_with_compatible_smtputf8() throws Exception {
        String sender = "anne\u00CB@example.com";
        String recipient = "bart\u00CB@example.com";
        try (var c = client()) {
            c.cmd("EHLO example.com");
            assertThat(c.cmd("MAIL FROM: <" + sender + "> SMTPUTF8").code()).isEqualTo(250);
            assertThat(c.cmd("RCPT TO: <" + recipient + ">").code()).isEqualTo(250);
            assertThat(c.cmd("DATA").code()).isEqualTo(354);
            c.send("\r\n.\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
        }
        var m = servers.injector.messages().getFirst();
        assertThat(m.sender()).isEqualTo(sender);
        assertThat(m.recipient()).isEqualTo(recipient);
    }

    @Test
    void smtputf8_and_body_parameter_errors() throws Exception {
        try (var c = client()) {
            c.cmd("EHLO example.com");
            assertThat(c.cmd("MAIL FROM: <anne@example.com>").code()).isEqualTo(250);
            c.cmd("RSET");
            var r = c.cmd("MAIL FROM: <anne@example.com> SMTPUTF8=YES");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Error: SMTPUTF8 takes no arguments");
            r = c.cmd("MAIL FROM: <anne@example.com> BODY 9BIT");
            assertThat(r.code()).isEqualTo(501);
            r = c.cmd("MAIL FROM: <anne@example.com> BODY=FOOBAR");
            assertThat(r.code()).isEqualTo(501);
            assertThat(r.text()).isEqualTo("5.5.4 Error: BODY can only be one of 7BIT, 8BITMIME");
            assertThat(c.cmd("MAIL FROM: <anne@example.com> BODY=8BITMIME SMTPUTF8").code()).isEqualTo(250);
        }
    }

    @Test
    void rset_helo_and_ehlo_reset_the_envelope() throws Exception {
        // TestResetCommands: after RSET / HELO / EHLO the old sender and recipients are gone
        for (String reset : List.of("RSET", "HELO example.com", "EHLO example.com")) {
            try (var c = client()) {
                c.cmd("EHLO example.com");
                c.cmd("MAIL FROM:<from_first_run@example.com>");
                c.cmd("RCPT TO:<to_first_run_1@example.com>");
                c.cmd("RCPT TO:<to_first_run_2@example.com>");
                assertThat(c.cmd(reset).code()).isEqualTo(250);
                assertThat(c.cmd("RCPT TO:<x@example.com>").code()).as(reset + " forgot MAIL").isEqualTo(503);
                assertThat(c.cmd("DATA").code()).isEqualTo(503);
                var r = c.transaction("from_second_run@example.com",
                        List.of("to_second_run_1@example.com", "to_second_run_2@example.com"), "Subject: x\r\n\r\nhi");
                assertThat(r.code()).isEqualTo(250);
            }
        }
        var last = servers.injector.calls.getLast().messages();
        assertThat(last).extracting(m -> m.sender()).containsOnly("from_second_run@example.com");
        assertThat(last).extracting(m -> m.recipient())
                .containsExactly("to_second_run_1@example.com", "to_second_run_2@example.com");
        assertThat(servers.injector.calls).hasSize(3);
    }

    @Test
    void pipelined_commands_are_answered_in_order() throws Exception {
        try (var c = client()) {
            c.send("EHLO example.com\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBOGUS\r\n"
                    + "RCPT TO:<c@example.com>\r\nDATA\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(500);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(354);
            c.send("Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<d@example.com>\r\nRCPT TO:<e@example.com>\r\nQUIT\r\n");
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(221);
        }
        assertThat(servers.injector.messages()).extracting(m -> m.recipient())
                .containsExactly("b@example.com", "c@example.com");
    }
}
