package dev.sluice.egress.shaping;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.ThrottleSpec;
import dev.sluice.policy.kumo.regex.RustRegex;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One {@code [[X.automation]]} rule of a shaping file.
 *
 * @param regex         the patterns as written; any one matching the response fires the rule
 * @param actions       one or more, in order
 * @param duration      how long the effect lasts
 * @param durationText  the duration as written
 * @param matchInternal whether responses Sluice made up itself ({@code KumoMTA internal: …}) may match
 * @param wasRollup     the rule came from a rolled-up block (it applies to the whole site)
 * @param origin        {@code file: [block]}, for messages
 */
public record AutomationRule(List<String> regex, List<Pattern> patterns, List<ShapingAction> actions,
                             AutomationTrigger trigger, Duration duration, String durationText,
                             boolean matchInternal, boolean wasRollup, String origin) {

    static final String INTERNAL_PREFIX = "KumoMTA internal: ";
    private static final Set<String> KEYS = Set.of("regex", "action", "trigger", "duration", "match_internal");

    public AutomationRule {
        regex = List.copyOf(regex);
        patterns = List.copyOf(patterns);
        actions = List.copyOf(actions);
    }

    /** Whether this rule fires for {@code response} (one line). */
    public boolean matches(String response) {
        if (!matchInternal && response.startsWith(INTERNAL_PREFIX)) return false;
        return patterns.stream().anyMatch(p -> p.matcher(response).find());
    }

    AutomationRule withRollup() {
        return new AutomationRule(regex, patterns, actions, trigger, duration, durationText, matchInternal, true, origin);
    }

    /** Parses one rule; errors read "origin: reason". */
    static AutomationRule parse(Object value, String origin) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new ConfigException(origin + ": an automation rule must be a table");
        }
        for (Object key : m.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ConfigException(origin + ": unknown key '" + key + "' (expected " + KEYS + ")");
            }
        }
        List<String> regex = regexList(m.get("regex"), origin);
        List<Pattern> patterns = new ArrayList<>();
        for (String r : regex) {
            try {
                patterns.add(RustRegex.compile(r));
            } catch (ConfigException e) {
                throw new ConfigException(origin + ": regex: " + e.getMessage().replaceFirst("^kumo\\.regex\\.compile: ", ""));
            }
        }
        List<ShapingAction> actions = actions(m.get("action"), origin);
        Object durationValue = m.get("duration");
        if (durationValue == null) {
            throw new ConfigException(origin + ": 'duration' is required (how long the action lasts, e.g. \"2 hours\")");
        }
        Duration duration;
        try {
            duration = Durations.parse(durationValue);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(origin + ": duration: " + e.getMessage());
        }
        Object internal = m.get("match_internal");
        if (internal != null && !(internal instanceof Boolean)) {
            throw new ConfigException(origin + ": match_internal must be true or false");
        }
        return new AutomationRule(regex, patterns, actions, trigger(m.get("trigger"), origin), duration,
                String.valueOf(durationValue), Boolean.TRUE.equals(internal), false, origin);
    }

    private static List<String> regexList(Object value, String origin) {
        if (value instanceof String s) return List.of(s);
        if (value instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(String.class::isInstance)) {
            return l.stream().map(String.class::cast).toList();
        }
        throw new ConfigException(origin + ": 'regex' is required: a string or a list of strings");
    }

    private static List<ShapingAction> actions(Object value, String origin) {
        if (value == null) {
            throw new ConfigException(origin + ": 'action' is required");
        }
        if (value instanceof List<?> l) {
            if (l.isEmpty()) throw new ConfigException(origin + ": 'action' is an empty list");
            return l.stream().map(a -> action(a, origin)).toList();
        }
        return List.of(action(value, origin));
    }

    private static ShapingAction action(Object value, String origin) {
        if (value instanceof String s) {
            for (ShapingAction.Named n : ShapingAction.Named.values()) {
                if (n.name().equals(s)) return n;
            }
        } else if (value instanceof Map<?, ?> m && m.size() == 1) {
            Object kind = m.keySet().iterator().next();
            if (kind.equals("SetConfig") || kind.equals("SetDomainConfig")) {
                return setConfig(m.get(kind), kind.equals("SetDomainConfig"), origin + ": action " + kind);
            }
        }
        throw new ConfigException(origin + ": unknown action " + Shaping.show(value) + " (expected one of "
                + List.of(ShapingAction.Named.values()) + ", {SetConfig={name=..., value=...}} or {SetDomainConfig=...})");
    }

    private static ShapingAction setConfig(Object value, boolean domainOnly, String where) {
        if (!(value instanceof Map<?, ?> m) || !(m.get("name") instanceof String name) || !m.containsKey("value")
                || m.size() != 2) {
            throw new ConfigException(where + ": expected {name = \"option\", value = ...}");
        }
        if (EgressPath.ignores(name)) { // a rule that would fire and change nothing
            throw new ConfigException(where + ": '" + name + "' is a path option Sluice accepts but does not act "
                    + "on, so this action would change nothing; set one Sluice implements (connection_limit, "
                    + "max_message_rate, max_connection_rate, max_deliveries_per_connection, ...)");
        }
        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put(name, m.get("value"));
        try {
            EgressPath.parse(probe);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
        return new ShapingAction.SetConfig(name, m.get("value"), domainOnly);
    }

    private static AutomationTrigger trigger(Object value, String origin) {
        if (value == null || "Immediate".equals(value)) return new AutomationTrigger.Immediate();
        if (value instanceof Map<?, ?> m && m.size() == 1 && m.get("Threshold") instanceof String text) {
            try {
                return new AutomationTrigger.Threshold(ThrottleSpec.parse(text), text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(origin + ": trigger Threshold: " + e.getMessage());
            }
        }
        throw new ConfigException(origin + ": trigger must be \"Immediate\" or {Threshold = \"N/period\"}, got "
                + Shaping.show(value));
    }

    /** The rule as Lua sees it ({@code match_rules}). */
    Map<String, Object> toLua() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("regex", regex);
        List<Object> acts = new ArrayList<>();
        for (ShapingAction a : actions) {
            acts.add(switch (a) {
                case ShapingAction.Named n -> n.name();
                case ShapingAction.SetConfig s -> Map.of(s.domainOnly() ? "SetDomainConfig" : "SetConfig",
                        Map.of("name", s.name(), "value", s.value()));
            });
        }
        out.put("action", acts);
        out.put("trigger", switch (trigger) {
            case AutomationTrigger.Immediate i -> "Immediate";
            case AutomationTrigger.Threshold t -> Map.of("Threshold", t.text());
        });
        out.put("duration", durationText);
        out.put("match_internal", matchInternal);
        out.put("was_rollup", wasRollup);
        out.put("origin", origin);
        return out;
    }
}
