package dev.sluice.policy.egress;

import dev.sluice.net.Cidr;
import dev.sluice.net.CidrSet;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kumo.invoke_get_egress_path_config(routing_domain, source, site_name)}: runs the policy's
 * {@code get_egress_path_config} handler(s) in the calling Lua state and returns the effective path config as a
 * plain table shaped like {@code make_egress_path}'s input (so it can be passed back to it): every key Sluice acts
 * on with its value or default, plus {@code refresh_strategy} and {@code provider_name}; nil or no handler gives the
 * defaults. Keys Sluice accepts but ignores are not returned (KumoMTA leaves out a few TLS keys likewise). Durations
 * come back as strings such as {@code '60s'}, throttles as {@code 'N/Ps'}, host lists as CIDR strings.
 */
final class EgressPathTable {
    private static final String SCRIPT = """
            local natives = ...
            local invoke = debug.getregistry()['sluice.invoke']
            rawset(package.loaded.kumo, 'invoke_get_egress_path_config', function(routing_domain, source, site_name)
              for i, v in ipairs({ routing_domain, source, site_name }) do
                if type(v) ~= 'string' then
                  error('kumo.invoke_get_egress_path_config: argument #' .. i .. ' must be a string, got ' .. type(v), 2)
                end
              end
              local result = invoke('get_egress_path_config', routing_domain, source, site_name)
              local ok, t = pcall(natives.to_table, result)
              if not ok then
                error((tostring(t):gsub('^kumo%.invoke_get_egress_path_config:%d+: ', '')), 2)
              end
              return t
            end)
            """;

    private EgressPathTable() {}

    static LuaModule module() {
        return r -> r.script("kumo.invoke_get_egress_path_config", SCRIPT,
                Map.of("to_table", args -> toTable(LuaArgs.get(args, 0))));
    }

    private static Map<String, Object> toTable(Object result) {
        EgressPath path = switch (result) {
            case null -> EgressPath.DEFAULT;
            case EgressPath p -> p;
            case Map<?, ?> m -> EgressPath.parse(m);
            default -> throw new ConfigException("get_egress_path_config returned a " + LuaArgs.typeName(result)
                    + ", expected the result of kumo.make_egress_path{...}");
        };
        return toTable(path);
    }

    static Map<String, Object> toTable(EgressPath p) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("connection_limit", p.connectionLimit());
        t.put("max_deliveries_per_connection", p.maxDeliveriesPerConnection());
        t.put("max_recipients_per_batch", p.maxRecipientsPerBatch());
        t.put("enable_tls", p.enableTls().name());
        t.put("enable_pipelining", p.enablePipelining());
        t.put("enable_rset", p.enableRset());
        t.put("smtp_port", p.smtpPort());
        p.ehloDomain().ifPresent(d -> t.put("ehlo_domain", d));
        t.put("prohibited_hosts", cidrs(p.prohibitedHosts()));
        t.put("skip_hosts", cidrs(p.skipHosts()));
        t.put("ip_lookup_strategy", p.ipLookupStrategy().name());
        p.maxConnectionRate().ifPresent(r -> t.put("max_connection_rate", r.toString()));
        p.maxMessageRate().ifPresent(r -> t.put("max_message_rate", r.toString()));
        SmtpTimeouts to = p.timeouts();
        t.put("connect_timeout", duration(to.connect()));
        t.put("banner_timeout", duration(to.banner()));
        t.put("ehlo_timeout", duration(to.ehlo()));
        t.put("starttls_timeout", duration(to.starttls()));
        t.put("auth_timeout", duration(to.auth()));
        t.put("mail_from_timeout", duration(to.mailFrom()));
        t.put("rcpt_to_timeout", duration(to.rcptTo()));
        t.put("data_timeout", duration(to.data()));
        t.put("data_dot_timeout", duration(to.dataDot()));
        t.put("rset_timeout", duration(to.rset()));
        t.put("idle_timeout", duration(to.idle()));
        t.put("refresh_interval", duration(p.refreshInterval()));
        t.put("refresh_strategy", p.refreshStrategy().name());
        p.providerName().ifPresent(n -> t.put("provider_name", n));
        return t;
    }

    private static List<String> cidrs(CidrSet set) {
        return set.entries().stream().map(Cidr::toString).toList();
    }

    private static String duration(Duration d) {
        return d.toNanos() % 1_000_000_000L == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
