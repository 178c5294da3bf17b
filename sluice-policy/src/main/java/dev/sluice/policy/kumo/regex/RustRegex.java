package dev.sluice.policy.kumo.regex;

import dev.sluice.policy.ConfigException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * KumoMTA's patterns are Rust regex (with fancy-regex's look-around and back-references); Sluice runs
 * them on {@link java.util.regex}, whose syntax is close. Translated here: {@code (?P<name>…)} named
 * groups, {@code (?P=name)} back-references, {@code [[:alpha:]]}-style ASCII classes, and {@code $}
 * (end of text, as in Rust, when the pattern sets no {@code m} flag). Compiled with Unicode classes so
 * that {@code \d}, {@code \w}, {@code \s} and {@code \b} are Unicode-aware as in Rust.
 *
 * <p>Known differences: a pattern that turns {@code m} on for part of it keeps Java's {@code $}
 * everywhere (which also matches before a final newline); Rust's {@code (?U)} (swap greed) and
 * {@code (?R)}-style flags Java lacks are syntax errors; Java accepts some constructs Rust rejects
 * (possessive quantifiers, {@code \G}); Unicode property names follow Java ({@code \p{IsGreek}}).
 */
public final class RustRegex {
    private static final Pattern BACKREF = Pattern.compile("\\(\\?P=([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Pattern MULTI_LINE_FLAG = Pattern.compile("\\(\\?[a-zA-Z]*m[a-zA-Z]*[:)]");
    private static final Pattern POSIX_CLASS = Pattern.compile("\\[:(\\^?)(alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):]");

    private RustRegex() {}

    public static Pattern compile(String pattern) {
        try {
            return Pattern.compile(translate(pattern), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new ConfigException("kumo.regex.compile: invalid pattern '" + pattern + "': " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near position " + e.getIndex() : ""));
        }
    }

    static String translate(String pattern) {
        String named = pattern.replace("(?P<", "(?<");
        named = BACKREF.matcher(named).replaceAll("\\\\k<$1>");
        Matcher m = POSIX_CLASS.matcher(named);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String java = switch (m.group(2)) {
                case "word" -> "\\w";
                case "ascii" -> "\\p{ASCII}";
                case "xdigit" -> "\\p{XDigit}";
                default -> "\\p{" + Character.toUpperCase(m.group(2).charAt(0)) + m.group(2).substring(1) + "}";
            };
            if (!m.group(1).isEmpty()) {
                java = java.equals("\\w") ? "\\W" : "\\P" + java.substring(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(java));
        }
        m.appendTail(out);
        return MULTI_LINE_FLAG.matcher(out).find() ? out.toString() : endOfText(out.toString());
    }

    /**
     * Without the {@code m} flag Rust's {@code $} matches only at the end of the text, Java's also before
     * a final line terminator: write it {@code \z} (outside character classes, unless escaped).
     */
    private static String endOfText(String p) {
        StringBuilder out = new StringBuilder(p.length() + 4);
        int classDepth = 0; // character classes nest: [a-z&&[^aeiou]]
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                out.append(c).append(p.charAt(++i));
            } else if (c == '[') {
                classDepth++;
                out.append(c);
                if (i + 1 < p.length() && p.charAt(i + 1) == '^') {
                    out.append(p.charAt(++i));
                }
                if (i + 1 < p.length() && p.charAt(i + 1) == ']') { // a leading ] is a literal
                    out.append(p.charAt(++i));
                }
            } else if (c == ']' && classDepth > 0) {
                classDepth--;
                out.append(c);
            } else if (c == '$' && classDepth == 0) {
                out.append("\\z");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Every regex metacharacter escaped with a backslash, as Rust's {@code regex::escape}. */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ("\\.+*?()|[]{}^$#&-~".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * Expands a Rust replacement string for one match: {@code $N}, {@code $name} (the longest run of
     * letters, digits and underscores), {@code ${name}}, {@code $$}; an unknown group becomes empty.
     */
    static String expand(Matcher m, String replacement) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < replacement.length()) {
            char c = replacement.charAt(i);
            if (c != '$' || i + 1 >= replacement.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = replacement.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            String name;
            if (next == '{') {
                int close = replacement.indexOf('}', i + 2);
                if (close < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                name = replacement.substring(i + 2, close);
                i = close + 1;
            } else {
                int j = i + 1;
                while (j < replacement.length() && (Character.isLetterOrDigit(replacement.charAt(j)) || replacement.charAt(j) == '_')) {
                    j++;
                }
                if (j == i + 1) {
                    out.append(c);
                    i++;
                    continue;
                }
                name = replacement.substring(i + 1, j);
                i = j;
            }
            String value = group(m, name);
            if (value != null) {
                out.append(value);
            }
        }
        return out.toString();
    }

    static String group(Matcher m, String name) {
        try {
            if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                int n = Integer.parseInt(name);
                return n <= m.groupCount() ? m.group(n) : null;
            }
            return m.group(name);
        } catch (IllegalArgumentException e) { // no such group, or a number too large
            return null;
        }
    }
}
