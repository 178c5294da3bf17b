package dev.sluice.egress.shaping;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * The options table of {@code kumo.shaping.load}.
 *
 * @param aliasedSite     two rolled-up domain blocks on the same MX site (Sluice: Error by default)
 * @param dnsFail         a rolled-up domain block whose MX lookup failed (Ignore: the block is skipped)
 * @param nullMx          a rolled-up domain block whose domain has a null MX (Ignore: skipped)
 * @param providerOverlap a rolled-up domain block also matched by a provider block (Ignore)
 * @param localLoad       a local file that cannot be read or parsed (Error: the load fails)
 * @param remoteLoad      an http(s) file that cannot be fetched or parsed (Ignore: skipped, so that an MTA whose TSA
 *                        daemon is down keeps its local shaping)
 * @param skipRemote      skip http(s) files without a finding
 * @param dnsTimeout      how long MX lookups of the load may take in all (3 s, below the policy call limit, since a
 *                        memoized reload runs inside get_egress_path_config; Sluice's addition, {@code dns_timeout})
 * @param httpTimeout     how long fetching one http(s) file may take ({@code http_timeout}; 2 s, less than KumoMTA's
 *                        5 s for the same reason)
 */
public record ShapingOptions(CheckLevel aliasedSite, CheckLevel dnsFail, CheckLevel nullMx, CheckLevel providerOverlap,
                             CheckLevel localLoad, CheckLevel remoteLoad, boolean skipRemote, Duration dnsTimeout,
                             Duration httpTimeout) {

    public static final ShapingOptions DEFAULT = new ShapingOptions(CheckLevel.Error, CheckLevel.Ignore,
            CheckLevel.Ignore, CheckLevel.Ignore, CheckLevel.Error, CheckLevel.Ignore, false, Duration.ofSeconds(3),
            Duration.ofSeconds(2));

    static ShapingOptions parse(Object value) {
        if (value == null) return DEFAULT;
        if (!(value instanceof Map<?, ?> m)) {
            throw new ConfigException("kumo.shaping.load: the options must be a table");
        }
        ShapingOptions d = DEFAULT;
        for (Object key : m.keySet()) {
            if (!java.util.Set.of("aliased_site", "dns_fail", "null_mx", "provider_overlap", "local_load",
                    "remote_load", "skip_remote", "http_timeout", "dns_timeout").contains(key)) {
                throw new ConfigException("kumo.shaping.load: unknown option '" + key + "'");
            }
        }
        Object skip = m.get("skip_remote");
        if (skip != null && !(skip instanceof Boolean)) {
            throw new ConfigException("kumo.shaping.load: option 'skip_remote' must be a boolean");
        }
        return new ShapingOptions(
                level(m, "aliased_site", d.aliasedSite), level(m, "dns_fail", d.dnsFail),
                level(m, "null_mx", d.nullMx), level(m, "provider_overlap", d.providerOverlap),
                level(m, "local_load", d.localLoad), level(m, "remote_load", d.remoteLoad),
                Boolean.TRUE.equals(skip),
                m.get("dns_timeout") == null ? d.dnsTimeout : Durations.parse(m.get("dns_timeout")),
                m.get("http_timeout") == null ? d.httpTimeout : Durations.parse(m.get("http_timeout")));
    }

    private static CheckLevel level(Map<?, ?> m, String key, CheckLevel fallback) {
        Object v = m.get(key);
        return v == null ? fallback : CheckLevel.parse(key, v);
    }
}
