package dev.sluice.policy.kumo.regex;

import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Regex object {@code kumo.regex.compile} returns: immutable, shareable between Lua states. */
final class LuaRegex implements LuaObject {
    private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?P?<([a-zA-Z][a-zA-Z0-9_]*)>");

    private final String source;
    private final Pattern pattern;
    private final List<String> names = new ArrayList<>();

    LuaRegex(String source) {
        this.source = source;
        this.pattern = RustRegex.compile(source);
        Matcher m = GROUP_NAME.matcher(source);
        while (m.find()) {
            names.add(m.group(1));
        }
    }

    @Override
    public String typeName() {
        return "Regex";
    }

    @Override
    public String display() {
        return "Regex(" + source + ")";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "is_match" -> LuaObject.method(this, a -> pattern.matcher(text(a, 0, "is_match")).find());
            case "find" -> LuaObject.method(this, a -> {
                Matcher m = pattern.matcher(text(a, 0, "find"));
                return m.find() ? m.group() : null;
            });
            case "find_all" -> LuaObject.method(this, a -> {
                Matcher m = pattern.matcher(text(a, 0, "find_all"));
                List<String> all = new ArrayList<>();
                while (m.find()) {
                    all.add(m.group());
                }
                return all;
            });
            case "captures" -> LuaObject.method(this, a -> captures(text(a, 0, "captures")));
            case "replace" -> LuaObject.method(this, a -> replace(text(a, 0, "replace"), 1, text(a, 1, "replace")));
            case "replace_all" -> LuaObject.method(this, a -> replace(text(a, 0, "replace_all"), 0, text(a, 1, "replace_all")));
            case "replacen" -> LuaObject.method(this, a -> {
                long limit = LuaArgs.integer(a, 1, "regex:replacen");
                if (limit < 0) {
                    throw new IllegalArgumentException("regex:replacen: limit must be 0 (all) or more, got " + limit);
                }
                return replace(text(a, 0, "replacen"), limit, text(a, 2, "replacen"));
            });
            case "split" -> LuaObject.method(this, a -> split(text(a, 0, "split")));
            default -> null;
        };
    }

    private static String text(List<Object> args, int i, String method) {
        return LuaArgs.string(args, i, "regex:" + method);
    }

    private Map<Object, Object> captures(String haystack) {
        Matcher m = pattern.matcher(haystack);
        if (!m.find()) {
            return null;
        }
        Map<Object, Object> result = new LinkedHashMap<>();
        for (int i = 0; i <= m.groupCount(); i++) {
            if (m.group(i) != null) {
                result.put((long) i, m.group(i));
            }
        }
        for (String name : names) {
            String value = RustRegex.group(m, name);
            if (value != null) {
                result.put(name, value);
            }
        }
        return result;
    }

    private String replace(String text, long limit, String replacement) {
        Matcher m = pattern.matcher(text);
        StringBuilder out = new StringBuilder();
        int last = 0;
        long done = 0;
        while ((limit == 0 || done < limit) && m.find()) {
            out.append(text, last, m.start()).append(RustRegex.expand(m, replacement));
            last = m.end();
            done++;
        }
        return out.append(text, last, text.length()).toString();
    }

    /** Like Rust: the text between matches, keeping empty pieces at both ends. */
    private List<String> split(String text) {
        Matcher m = pattern.matcher(text);
        List<String> parts = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            if (m.end() == 0 && m.start() == 0) {
                parts.add("");
                continue;
            }
            parts.add(text.substring(last, m.start()));
            last = m.end();
        }
        parts.add(text.substring(last));
        return parts;
    }
}
