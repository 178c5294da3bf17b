package dev.sluice.mta.policy;

import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What {@code get_listener_domain} returns for a recipient domain: {@code kumo.make_listener_domain{relay_to,
 * log_oob, log_arf}}. Only {@code relay_to} changes behaviour here (relay decided per domain); OOB and ARF
 * parsing are not implemented, so those two are accepted and kept for the record.
 */
public record ListenerDomain(boolean relayTo, boolean logOob, boolean logArf) {
    static final ConfigSchema SCHEMA = ConfigSchema.of("make_listener_domain",
            Set.of("relay_to", "log_oob", "log_arf"), Set.of());

    /** Parses the table given to make_listener_domain (or returned by get_listener_domain); nil means no relay. */
    public static ListenerDomain parse(Object luaValue) {
        if (luaValue == null) {
            return new ListenerDomain(false, false, false);
        }
        ConfigTable t = ConfigTable.of(SCHEMA, luaValue);
        return new ListenerDomain(t.bool("relay_to", false), t.bool("log_oob", false), t.bool("log_arf", false));
    }

    /** The table form handed back to Lua, so that get_listener_domain can return it as is. */
    public Map<String, Object> toLua() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("relay_to", relayTo);
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
