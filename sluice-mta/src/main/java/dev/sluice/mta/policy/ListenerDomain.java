package dev.sluice.mta.policy;

import dev.sluice.net.CidrSet;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code get_listener_domain} returns for a domain: {@code kumo.make_listener_domain{relay_to, relay_from,
 * log_oob, log_arf}}. {@code relay_to} is asked for each recipient domain; {@code relay_from} (CIDRs) for the
 * sender's domain at MAIL FROM: a client connected from inside it may relay that transaction to any domain. OOB
 * and ARF parsing are not implemented, so those two are accepted and kept for the record.
 */
public record ListenerDomain(boolean relayTo, CidrSet relayFrom, boolean logOob, boolean logArf) {
    static final ConfigSchema SCHEMA = ConfigSchema.of("make_listener_domain",
            Set.of("relay_to", "relay_from", "log_oob", "log_arf"), Set.of());
    static final ListenerDomain NONE = new ListenerDomain(false, CidrSet.of(), false, false);

    /** Parses the table given to make_listener_domain (or returned by get_listener_domain); nil means no relay. */
    public static ListenerDomain parse(Object luaValue) {
        if (luaValue == null) {
            return NONE;
        }
        ConfigTable t = ConfigTable.of(SCHEMA, luaValue);
        return new ListenerDomain(t.bool("relay_to", false), t.cidrs("relay_from"), t.bool("log_oob", false),
                t.bool("log_arf", false));
    }

    /** The table form handed back to Lua, so that get_listener_domain can return it as is. */
    public Map<String, Object> toLua() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("relay_to", relayTo);
        List<String> from = relayFrom.entries().stream().map(Object::toString).toList();
        if (!from.isEmpty()) {
            m.put("relay_from", from);
        }
        m.put("log_oob", logOob);
        m.put("log_arf", logArf);
        return m;
    }

    /** {@code kumo.make_listener_domain}. */
    public static LuaModule module() {
        return r -> r.kumoFunction("make_listener_domain",
                args -> parse(args.isEmpty() ? Map.of() : args.getFirst()).toLua());
    }
}
