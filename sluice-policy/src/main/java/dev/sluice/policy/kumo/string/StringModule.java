package dev.sluice.policy.kumo.string;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code kumo.string.*}: starts_with, ends_with, split, splitn, rsplit, rsplitn, split_whitespace,
 * split_ascii_whitespace, replace, replacen, trim, trim_start, trim_end, wrap, psl_domain, psl_suffix
 * (see {@link PublicSuffixList}), normalize_smtp_response ({@link SmtpResponseNormalizer}) and
 * eval_template(name, source, context, dialect?) ({@link Template}: the minijinja subset Sluice evaluates; dialect
 * {@code 'Jinja'} (default) or {@code 'Static'}; {@code 'Handlebars'} is refused). Patterns are plain text (not Lua
 * patterns); splitting keeps empty pieces, as Rust's {@code str::split} does.
 */
public final class StringModule implements LuaModule {
    @Override
    public void install(Registrar r) {
        r.function("kumo.string", "starts_with", a -> s(a, 0, "starts_with").startsWith(s(a, 1, "starts_with")));
        r.function("kumo.string", "ends_with", a -> s(a, 0, "ends_with").endsWith(s(a, 1, "ends_with")));
        r.function("kumo.string", "split", a -> split(s(a, 0, "split"), s(a, 1, "split"), Long.MAX_VALUE));
        r.function("kumo.string", "splitn", a -> split(s(a, 0, "splitn"), s(a, 2, "splitn"), limit(a, "splitn")));
        r.function("kumo.string", "rsplit", a -> rsplit(s(a, 0, "rsplit"), s(a, 1, "rsplit"), Long.MAX_VALUE));
        r.function("kumo.string", "rsplitn", a -> rsplit(s(a, 0, "rsplitn"), s(a, 2, "rsplitn"), limit(a, "rsplitn")));
        r.function("kumo.string", "split_whitespace", a -> words(s(a, 0, "split_whitespace"), false));
        r.function("kumo.string", "split_ascii_whitespace", a -> words(s(a, 0, "split_ascii_whitespace"), true));
        r.function("kumo.string", "replace", a -> replace(s(a, 0, "replace"), s(a, 1, "replace"), s(a, 2, "replace"), Long.MAX_VALUE));
        r.function("kumo.string", "replacen", a -> {
            long n = LuaArgs.integer(a, 3, "kumo.string.replacen");
            if (n < 0) {
                throw new ConfigException("kumo.string.replacen: count must not be negative, got " + n);
            }
            return replace(s(a, 0, "replacen"), s(a, 1, "replacen"), s(a, 2, "replacen"), n);
        });
        r.function("kumo.string", "trim", a -> trimEnd(trimStart(s(a, 0, "trim"))));
        r.function("kumo.string", "trim_start", a -> trimStart(s(a, 0, "trim_start")));
        r.function("kumo.string", "trim_end", a -> trimEnd(s(a, 0, "trim_end")));
        r.function("kumo.string", "psl_suffix", a -> PublicSuffixList.system().suffix(s(a, 0, "psl_suffix")));
        r.function("kumo.string", "psl_domain", a -> PublicSuffixList.system().domain(s(a, 0, "psl_domain")));
        r.function("kumo.string", "normalize_smtp_response",
                a -> SmtpResponseNormalizer.normalize(s(a, 0, "normalize_smtp_response")));
        r.function("kumo.string", "eval_template", StringModule::evalTemplate);
        r.function("kumo.string", "wrap", a -> {
            long soft = a.size() > 1 && a.get(1) != null ? LuaArgs.integer(a, 1, "kumo.string.wrap") : 75;
            long hard = a.size() > 2 && a.get(2) != null ? LuaArgs.integer(a, 2, "kumo.string.wrap") : 900;
            if (soft < 1 || hard < 1) {
                throw new ConfigException("kumo.string.wrap: limits must be positive, got " + soft + " and " + hard);
            }
            return wrap(s(a, 0, "wrap"), (int) Math.min(soft, Integer.MAX_VALUE), (int) Math.min(hard, Integer.MAX_VALUE));
        });
    }

    private static String evalTemplate(List<Object> args) {
        String name = s(args, 0, "eval_template");
        String source = s(args, 1, "eval_template");
        Object context = LuaArgs.get(args, 2);
        java.util.Map<String, Object> vars = context == null ? java.util.Map.of()
                : LuaArgs.table(args, 2, "kumo.string.eval_template");
        String dialect = LuaArgs.optString(args, 3, "kumo.string.eval_template");
        if (dialect == null || dialect.equals("Jinja")) {
            try {
                return Template.render(name, source, vars);
            } catch (ConfigException e) {
                throw new ConfigException("kumo.string.eval_template: " + e.getMessage());
            }
        }
        if (dialect.equals("Static")) {
            return source;
        }
        throw new ConfigException("kumo.string.eval_template: dialect '" + dialect + "' is not supported by Sluice"
                + " (Jinja and Static are)");
    }

    private static String s(List<Object> args, int i, String function) {
        return LuaArgs.string(args, i, "kumo.string." + function);
    }

    private static long limit(List<Object> args, String function) {
        long n = LuaArgs.integer(args, 1, "kumo.string." + function);
        if (n < 0) {
            throw new ConfigException("kumo.string." + function + ": limit must not be negative, got " + n);
        }
        return n;
    }

    static List<String> split(String text, String sep, long limit) {
        List<String> parts = new ArrayList<>();
        if (limit == 0) {
            return parts;
        }
        if (sep.isEmpty()) { // Rust: an empty pattern matches at every character boundary
            parts.add("");
            int i = 0;
            while (i < text.length() && parts.size() < limit - 1) {
                int next = text.offsetByCodePoints(i, 1);
                parts.add(text.substring(i, next));
                i = next;
            }
            parts.add(text.substring(i));
            return parts;
        }
        int start = 0;
        while (parts.size() < limit - 1) {
            int at = text.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            parts.add(text.substring(start, at));
            start = at + sep.length();
        }
        parts.add(text.substring(start));
        return parts;
    }

    static List<String> rsplit(String text, String sep, long limit) {
        List<String> parts = new ArrayList<>();
        if (limit == 0) {
            return parts;
        }
        if (sep.isEmpty()) {
            List<String> forward = split(text, sep, Long.MAX_VALUE);
            Collections.reverse(forward);
            if (forward.size() <= limit) {
                return forward;
            }
            List<String> head = new ArrayList<>(forward.subList(0, (int) limit - 1));
            StringBuilder rest = new StringBuilder();
            for (int i = forward.size() - 1; i >= limit - 1; i--) {
                rest.append(forward.get(i));
            }
            head.add(rest.toString());
            return head;
        }
        int end = text.length();
        while (parts.size() < limit - 1) {
            int at = text.lastIndexOf(sep, end - sep.length());
            if (at < 0 || end - sep.length() < 0) {
                break;
            }
            parts.add(text.substring(at + sep.length(), end));
            end = at;
        }
        parts.add(text.substring(0, end));
        return parts;
    }

    private static List<String> words(String text, boolean asciiOnly) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean space = i == text.length() || (asciiOnly ? isAsciiSpace(text.charAt(i)) : isWhiteSpace(text.charAt(i)));
            if (space && start >= 0) {
                words.add(text.substring(start, i));
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
        return words;
    }

    private static String replace(String text, String from, String to, long count) {
        if (count == 0) {
            return text;
        }
        if (from.isEmpty()) { // Rust inserts `to` at every character boundary
            List<String> pieces = split(text, "", Long.MAX_VALUE);
            StringBuilder out = new StringBuilder();
            long done = 0;
            for (int i = 0; i < pieces.size(); i++) {
                if (i > 0 && done < count) {
                    out.append(to);
                    done++;
                }
                out.append(pieces.get(i));
            }
            return out.toString();
        }
        StringBuilder out = new StringBuilder();
        int start = 0;
        long done = 0;
        int at;
        while (done < count && (at = text.indexOf(from, start)) >= 0) {
            out.append(text, start, at).append(to);
            start = at + from.length();
            done++;
        }
        return out.append(text.substring(start)).toString();
    }

    /** Unicode White_Space (Character.isWhitespace leaves out the no-break spaces and NEL). */
    static boolean isWhiteSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00A0' || c == '\u2007' || c == '\u202F' || c == '\u0085';
    }

    private static boolean isAsciiSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
    }

    private static String trimStart(String s) {
        int i = 0;
        while (i < s.length() && isWhiteSpace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static String trimEnd(String s) {
        int i = s.length();
        while (i > 0 && isWhiteSpace(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(0, i);
    }

    /**
     * Fills lines with the words of {@code text} (split at ASCII whitespace) while a line stays under
     * {@code soft} characters; a word that does not fit starts a new line; a word longer than
     * {@code hard} is cut every {@code hard} characters. Lines are joined by CR LF TAB.
     */
    static String wrap(String text, int soft, int hard) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : words(text, true)) {
            if (line.length() + word.length() < soft) {
                if (!line.isEmpty()) {
                    line.append(' ');
                }
                line.append(word);
                continue;
            }
            if (!line.isEmpty()) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (word.length() <= hard) {
                line.append(word);
                continue;
            }
            int i = 0;
            for (; i + hard <= word.length(); i += hard) {
                lines.add(word.substring(i, i + hard));
            }
            line.append(word.substring(i));
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        return String.join("\r\n\t", lines);
    }
}
