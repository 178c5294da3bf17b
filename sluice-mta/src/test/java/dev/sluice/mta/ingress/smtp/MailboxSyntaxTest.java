package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.ingress.smtp.MailboxSyntax.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 5321 section 4.1.2 mailboxes, RFC 6531 UTF-8, and the section 4.5.3.1 size limits. */
class MailboxSyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"a@example.com", "a.b+tag@sub.example.com", "\"\"@example.com", "\"a b@c\"@example.com",
            "\"q\\\"x\"@example.com", "a..b.@docomo.example", "a@under_score.example", "a@[127.0.0.1]",
            "a@[0.0.0.0]", "a@[255.255.255.255]", "a@[IPv6:::1]", "a@[ipv6:2001:db8::1]", "a@localhost",
            "!#$%&'*+-/=?^_`{|}~@example.com", "a@x-1.example"})
    void valid_ascii_mailboxes(String address) {
        assertThat(MailboxSyntax.check(address, false)).isEqualTo(Verdict.OK);
        assertThat(MailboxSyntax.check(address, true)).isEqualTo(Verdict.OK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a@[300.1.1.1]", "a@[1.2.3]", "a@[1.2.3.4.5]", "a@[1.2.3.]", "a@[1..2.3]", "a@[1.2.3.4",
            "a@[0001.2.3.4]", "a@[]", "a@[IPv6:]", "a@[IPv6:1.2.3.4]", "a@[IPv6:fe80::1%eth0]", "a@[IPv6:12345::1]",
            "a@[tag:content]", "a@1.2.3.4", "a@-x.example", "a@x-.example", "a@x..example", "a@example.com.",
            "a@.example", "a@exa mple.com", "a@exa(mple.com", "no-at-sign", "@example.com", "a@", "a b@example.com",
            "a<b@example.com", "a(b)@example.com", "a,b@example.com", "a;b@example.com", "a[b]@example.com",
            "a\\b@example.com", "\"unterminated@example.com", "\"a\"b@example.com", "\"a\"\"@example.com",
            "a\u0000b@example.com", "a\u007fb@example.com"})
    void malformed_mailboxes_are_bad_syntax(String address) {
        assertThat(MailboxSyntax.check(address, true)).isEqualTo(Verdict.BAD_SYNTAX);
    }

    @ParameterizedTest
    @ValueSource(strings = {"anne\u00CB@example.com", "a@b\u00FCcher.example", "\u7528\u6237@\u4F8B\u5B50.example",
            "\"\u00E9\"@example.com"})
    void utf8_needs_smtputf8(String address) {
        assertThat(MailboxSyntax.check(address, false)).isEqualTo(Verdict.NEEDS_SMTPUTF8);
        assertThat(MailboxSyntax.check(address, true)).isEqualTo(Verdict.OK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a@b\u0085c.example", "a\u0085@example.com", "a@xn--.example"})
    void utf8_controls_and_bad_labels_are_bad_syntax(String address) {
        assertThat(MailboxSyntax.check(address, true)).isEqualTo(Verdict.BAD_SYNTAX);
    }

    @org.junit.jupiter.api.Test
    void length_limits_are_those_of_rfc_5321() {
        String label63 = "d".repeat(63);
        String domain255 = label63 + "." + label63 + "." + label63 + "." + "d".repeat(61) + ".x"; // 255 octets
        assertThat(domain255).hasSize(255);
        assertThat(MailboxSyntax.check("l".repeat(64) + "@example.com", false)).isEqualTo(Verdict.OK);
        assertThat(MailboxSyntax.check("l".repeat(65) + "@example.com", false)).isEqualTo(Verdict.BAD_SYNTAX);
        assertThat(MailboxSyntax.check("l".repeat(300) + "@example.com", false)).isEqualTo(Verdict.BAD_SYNTAX);
        assertThat(MailboxSyntax.check("a@" + "d".repeat(63) + ".example", false)).isEqualTo(Verdict.OK);
        assertThat(MailboxSyntax.check("a@" + "d".repeat(64) + ".example", false)).as("label over 63")
                .isEqualTo(Verdict.BAD_SYNTAX);
        // 64 + 1 + 189 = 254 octets: the path <...> is 256
        String domain189 = label63 + "." + label63 + "." + "d".repeat(61);
        assertThat(MailboxSyntax.check("l".repeat(64) + "@" + domain189, false)).isEqualTo(Verdict.OK);
        assertThat(MailboxSyntax.check("l".repeat(64) + "@" + domain189 + "d", false)).as("path of 257")
                .isEqualTo(Verdict.BAD_SYNTAX);
        assertThat(MailboxSyntax.check("a@" + domain255, false)).as("domain of 255 but path too long")
                .isEqualTo(Verdict.BAD_SYNTAX);
        // octets, not characters: 22 three-octet characters are 66 octets
        assertThat(MailboxSyntax.check("\u7528".repeat(21) + "@example.com", true)).isEqualTo(Verdict.OK);
        assertThat(MailboxSyntax.check("\u7528".repeat(22) + "@example.com", true)).isEqualTo(Verdict.BAD_SYNTAX);
    }
}
