package dev.sluice.mta.ingress.smtp;

import io.netty.util.NetUtil;
import java.net.IDN;
import java.nio.charset.StandardCharsets;

/**
 * Checks the address inside {@code <...>} of MAIL FROM and RCPT TO against RFC 5321 section 4.1.2 (with the
 * RFC 6531 extensions when the transaction declared SMTPUTF8) and the size limits of section 4.5.3.1: local part
 * at most 64 octets, domain at most 255, the path with its brackets at most 256.
 *
 * <p>Where Postfix is more lenient than the grammar and real senders rely on it, Postfix wins: dots in an unquoted
 * local part may be leading, trailing or doubled (some mobile carriers hand out such addresses), and a domain label
 * may contain an underscore. Address literals are {@code [IPv4]} or {@code [IPv6:...]} only, as in Postfix.
 */
final class MailboxSyntax {
    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    /** RFC 5321's 256-octet path includes the angle brackets. */
    static final int MAX_ADDRESS = 256 - 2;
    private static final int MAX_LABEL = 63;

    /** What is wrong with an address, if anything. */
    enum Verdict {
        OK,
        /** Not a mailbox in RFC 5321 syntax, or over a length limit: 501 5.1.7 / 501 5.1.3. */
        BAD_SYNTAX,
        /** Non-ASCII without the SMTPUTF8 parameter on MAIL FROM: 553 5.6.7 (RFC 6531 section 3.4). */
        NEEDS_SMTPUTF8
    }

    private MailboxSyntax() {}

    /** @param address {@code local@domain} without the angle brackets (never the null path) */
    static Verdict check(String address, boolean smtputf8) {
        boolean ascii = isAscii(address);
        if (!ascii && !smtputf8) {
            return Verdict.NEEDS_SMTPUTF8;
        }
        if (octets(address, ascii) > MAX_ADDRESS) {
            return Verdict.BAD_SYNTAX;
        }
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            return Verdict.BAD_SYNTAX;
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (octets(local, ascii) > MAX_LOCAL_PART || octets(domain, ascii) > MAX_DOMAIN) {
            return Verdict.BAD_SYNTAX;
        }
        return validLocalPart(local) && validDomain(domain, ascii) ? Verdict.OK : Verdict.BAD_SYNTAX;
    }

    private static boolean validLocalPart(String local) {
        if (local.charAt(0) == '"') {
            return validQuotedString(local);
        }
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (c != '.' && !isAtext(c)) {
                return false;
            }
        }
        return true;
    }

    /** {@code DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE}; qtextSMTP takes UTF8-non-ascii too (RFC 6531). */
    private static boolean validQuotedString(String s) {
        if (s.length() < 2 || s.charAt(s.length() - 1) != '"') {
            return false;
        }
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
                if (i >= s.length() - 1 || s.charAt(i) < 32 || s.charAt(i) > 126) {
                    return false;
                }
            } else if (c == '"' || c < 32 || c == 127) {
                return false;
            }
        }
        return true;
    }

    /** RFC 5322 atext, plus any non-ASCII character (RFC 6531 UTF8-non-ascii; reached only with SMTPUTF8). */
    private static boolean isAtext(char c) {
        if (c >= 0x80) {
            return !Character.isISOControl(c) && !Character.isWhitespace(c);
        }
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    private static boolean validDomain(String domain, boolean ascii) {
        if (domain.charAt(0) == '[') {
            return validAddressLiteral(domain);
        }
        String name = domain;
        if (!ascii) {
            try {
                // U-labels (RFC 6531): their A-label form must be a valid host name
                name = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (name.length() > MAX_DOMAIN) {
                return false;
            }
        }
        return validHostname(name);
    }

    /** Postfix's valid_hostname: LDH labels (underscore allowed) of 1-63 characters, not all numeric. */
    private static boolean validHostname(String name) {
        int labelLength = 0;
        boolean nonNumeric = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
                nonNumeric = true;
                labelLength++;
            } else if (c >= '0' && c <= '9') {
                labelLength++;
            } else if (c == '-') {
                nonNumeric = true;
                if (labelLength == 0 || i == name.length() - 1 || name.charAt(i + 1) == '.') {
                    return false;
                }
                labelLength++;
            } else if (c == '.') {
                if (labelLength == 0 || i == name.length() - 1) {
                    return false;
                }
                labelLength = 0;
                continue;
            } else {
                return false;
            }
            if (labelLength > MAX_LABEL) {
                return false;
            }
        }
        return nonNumeric;
    }

    /** {@code [a.b.c.d]} with each part 0-255, or {@code [IPv6:...]}. */
    private static boolean validAddressLiteral(String literal) {
        if (literal.length() < 3 || literal.charAt(literal.length() - 1) != ']') {
            return false;
        }
        String inner = literal.substring(1, literal.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            String v6 = inner.substring(5);
            return !v6.isEmpty() && v6.indexOf('%') < 0 && v6.indexOf(':') >= 0 && NetUtil.isValidIpV6Address(v6);
        }
        return validIpv4(inner);
    }

    private static boolean validIpv4(String s) {
        int parts = 0;
        int digits = 0;
        int value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return false;
                }
            } else if (c == '.' && digits > 0 && ++parts < 4) {
                digits = 0;
                value = 0;
            } else {
                return false;
            }
        }
        return parts == 3 && digits > 0;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static int octets(String s, boolean ascii) {
        return ascii ? s.length() : s.getBytes(StandardCharsets.UTF_8).length;
    }
}
