package dev.sluice.policy.kumo.regex;

import dev.sluice.policy.LuaObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code kumo.regex_set_map.new{[regex] = value}}: indexing with a text returns the value of a regex
 * that matches anywhere in it, nil when none does. Immutable. When several match, the first pattern
 * in sorted order wins (KumoMTA leaves this to Lua's table order; Sluice makes it deterministic).
 */
final class RegexSetMap implements LuaObject {
    private record Rule(Pattern pattern, Object value) {}

    private final List<Rule> rules;

    RegexSetMap(Map<String, Object> map) {
        this.rules = new TreeMap<>(map).entrySet().stream()
                .map(e -> new Rule(RustRegex.compile(e.getKey()), e.getValue())).toList();
    }

    @Override
    public String typeName() {
        return "RegexSetMap";
    }

    @Override
    public Long length() {
        return (long) rules.size();
    }

    @Override
    public Object index(Object key) {
        String text = String.valueOf(key);
        for (Rule rule : rules) {
            if (rule.pattern().matcher(text).find()) {
                return rule.value();
            }
        }
        return null;
    }
}
