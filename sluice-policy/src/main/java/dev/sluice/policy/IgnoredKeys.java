package dev.sluice.policy;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide record of config keys that KumoMTA has and the policy set, but Sluice does not act on
 * yet. Each (table, key) is logged once per process; {@code sluice check} lists them.
 */
public final class IgnoredKeys {
    private static final Logger LOG = LoggerFactory.getLogger("policy");
    private static final Set<IgnoredKey> SEEN = ConcurrentHashMap.newKeySet();

    /** One ignored key; {@code table} may be a path such as {@code start_proxy_listener.tcp_keepalive}. */
    public record IgnoredKey(String table, String key) {
        @Override
        public String toString() {
            return table + "." + key;
        }
    }

    private IgnoredKeys() {}

    /** Records the key; logs a warning the first time. Returns true the first time. */
    public static boolean record(String table, String key) {
        IgnoredKey ignored = new IgnoredKey(table, key);
        if (SEEN.add(ignored)) {
            LOG.warn("{}: key '{}' is accepted for KumoMTA compatibility but ignored by Sluice", table, key);
            return true;
        }
        return false;
    }

    /** Every ignored key seen so far in this process, sorted by table then key. */
    public static List<IgnoredKey> list() {
        return SEEN.stream()
                .sorted(Comparator.comparing(IgnoredKey::table).thenComparing(IgnoredKey::key))
                .toList();
    }
}
