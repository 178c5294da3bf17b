package dev.sluice.policy.kumo.string;

import dev.sluice.net.IpLiterals;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kumo.string.normalize_smtp_response(text)}: replaces the per-message parts of an SMTP response with tokens,
 * so that similar responses group together in logs. Words are taken between whitespace (which is kept as it is),
 * with surrounding brackets and punctuation set aside; then, in this order: RFC 3339 timestamps become
 * {@code {timestamp}}, UUIDs {@code {uuid}}, IPv4/IPv6 addresses {@code {ipaddr}}, email addresses {@code {email}},
 * {@code lhs=rhs} keeps {@code lhs=} and normalizes {@code rhs}, base64 runs (16+ characters with {@code + /} or
 * {@code =} padding) {@code {base64}}, and runs of 8+ letters and digits (at least two of each, optionally split by
 * {@code . - _}) {@code {hash}}. Other words, ordinary words among them, are left alone. KumoMTA also consults a
 * dictionary; Sluice's rule needs both letters and digits instead, which leaves dictionary words alone too.
 */
final class SmtpResponseNormalizer {
    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern EDGES = Pattern.compile("^([\\[\\](){}<>\"',;:.!?]*)(.*?)([\\[\\](){}<>\"',;:.!?]*)$",
            Pattern.DOTALL);
    private static final Pattern TIMESTAMP = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern UUID = Pattern.compile(
            "(?i)(urn:uuid:)?\\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}}?");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]{16,}={0,2}");
    private static final Pattern HASH = Pattern.compile("[A-Za-z0-9]+([._-][A-Za-z0-9]+)*");

    private SmtpResponseNormalizer() {}

    static String normalize(String text) {
        Matcher m = WORD.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            out.append(text, last, m.start()).append(word(m.group()));
            last = m.end();
        }
        return out.append(text.substring(last)).toString();
    }

    private static String word(String word) {
        Matcher edges = EDGES.matcher(word);
        if (!edges.matches() || edges.group(2).isEmpty()) {
            return word;
        }
        return edges.group(1) + core(edges.group(2)) + edges.group(3);
    }

    private static String core(String w) {
        if (TIMESTAMP.matcher(w).matches()) {
            return "{timestamp}";
        }
        if (UUID.matcher(w).matches() && hasDigit(w)) {
            return "{uuid}";
        }
        if (isIp(w)) {
            return "{ipaddr}";
        }
        if (EMAIL.matcher(w).matches()) {
            return "{email}";
        }
        int eq = w.indexOf('=');
        if (eq > 0 && eq < w.length() - 1 && !w.endsWith("=")) {
            return w.substring(0, eq + 1) + word(w.substring(eq + 1));
        }
        if (BASE64.matcher(w).matches() && (w.indexOf('+') >= 0 || w.indexOf('/') >= 0 || w.endsWith("="))
                && letters(w) >= 2 && digits(w) >= 2) {
            return "{base64}";
        }
        if (w.length() >= 8 && HASH.matcher(w).matches() && letters(w) >= 2 && digits(w) >= 2) {
            return "{hash}";
        }
        return w;
    }

    private static boolean isIp(String w) {
        String bare = w.startsWith("IPv6:") ? w.substring(5) : w;
        if (!bare.matches("[0-9A-Fa-f:.]+") || (bare.indexOf('.') < 0 && bare.indexOf(':') < 0)) {
            return false;
        }
        return IpLiterals.parse(bare).isPresent();
    }

    private static boolean hasDigit(String w) {
        return digits(w) > 0;
    }

    private static int letters(String w) {
        return (int) w.chars().filter(Character::isLetter).count();
    }

    private static int digits(String w) {
        return (int) w.chars().filter(Character::isDigit).count();
    }
}
