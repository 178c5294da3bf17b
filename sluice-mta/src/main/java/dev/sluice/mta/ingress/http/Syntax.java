package dev.sluice.mta.ingress.http;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** The few bits of RFC 5321/5322 syntax the injection API checks. */
final class Syntax {
    private Syntax() {}

    // Deliberately plain: a dot-atom-ish or quoted local part and a domain or address literal. UTF-8 is allowed
    // (SMTPUTF8); whitespace, controls, angle brackets and commas are not, so an address cannot smuggle
    // a second address or a header line.
    private static final String ATOM = "[^\\s\\x00-\\x1f\\x7f@<>()\\[\\],;:\\\\\"]+";
    private static final Pattern EMAIL = Pattern.compile(
            "(?:" + ATOM + "(?:\\." + ATOM + ")*|\"(?:[^\"\\\\\\r\\n]|\\\\.)*\")"
                    + "@(?:" + ATOM + "(?:\\." + ATOM + ")*|\\[[^\\s\\[\\]\\\\]+\\])");

    static boolean isEmail(String s) {
        return s != null && s.length() <= 998 && EMAIL.matcher(s).matches();
    }

    /** RFC 5322 field name: printable US-ASCII except colon. */
    static boolean isHeaderName(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 33 || c > 126 || c == ':') {
                return false;
            }
        }
        return true;
    }

    /** Every CR, LF and CRLF becomes CRLF, so that no bare LF reaches SMTP. */
    static String normalizeCrlf(String s) {
        if (crlfOnly(s)) {
            return s; // no copy of a (possibly large) text that is already right
        }
        StringBuilder out = new StringBuilder(s.length() + 64);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                out.append("\r\n");
                if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
            } else if (c == '\n') {
                out.append("\r\n");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 127) {
                return false;
            }
        }
        return true;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The part after the last '@', or "". */
    static String domainOf(String email) {
        int at = email == null ? -1 : email.lastIndexOf('@');
        return at < 0 ? "" : email.substring(at + 1);
    }

    /** Whether every CR in {@code s} is followed by LF and every LF preceded by CR. */
    private static boolean crlfOnly(String s) {
        for (int i = s.indexOf('\r'); i >= 0; i = s.indexOf('\r', i + 2)) {
            if (i + 1 >= s.length() || s.charAt(i + 1) != '\n') {
                return false;
            }
        }
        for (int i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) {
            if (i == 0 || s.charAt(i - 1) != '\r') {
                return false;
            }
        }
        return true;
    }
}
