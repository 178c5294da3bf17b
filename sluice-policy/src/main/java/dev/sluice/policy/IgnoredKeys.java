package dev.sluice.policy;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide record of config keys that KumoMTA has and the policy set, but Sluice does not act on
 * yet. Each (table, key) is logged once per process; {@code sluice check} lists them with the place in the policy
 * that set them ({@link #since}).
 */
public final class IgnoredKeys {
    private static final Logger LOG = LoggerFactory.getLogger("policy");
    private static final Set<IgnoredKey> SEEN = ConcurrentHashMap.newKeySet();
    /** Each place a key was set, with the sequence number of the last time (for {@link #since}). */
    private static final Map<Use, Long> USES = new ConcurrentHashMap<>();
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** One ignored key; {@code table} may be a path such as {@code start_proxy_listener.tcp_keepalive}. */
    public record IgnoredKey(String table, String key) {
        @Override
        public String toString() {
            return table + "." + key;
        }
    }

    /**
     * An ignored key set at {@code where}: the {@code file:line} of the policy call that passed the table (empty
     * when the table came back from a handler's tail call, which has no line).
     */
    public record Use(IgnoredKey key, String where) {
        /** {@code file:line: key 'k' of t is accepted but not acted on by Sluice}. */
        @Override
        public String toString() {
            return (where.isEmpty() ? "" : where + ": ") + "key '" + key.key() + "' of " + key.table()
                    + " is accepted for KumoMTA compatibility but not acted on by Sluice";
        }
    }

    private IgnoredKeys() {}

    /** Records the key; logs a warning the first time. Returns true the first time. */
    public static boolean record(String table, String key) {
        IgnoredKey ignored = new IgnoredKey(table, key);
        USES.put(new Use(ignored, LuaState.callerWhere()), SEQUENCE.incrementAndGet());
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

    /** A mark for {@link #since}: what has been recorded so far. */
    public static long mark() {
        return SEQUENCE.get();
    }

    /** The places keys were set since {@code mark} (again or for the first time), sorted by place then key. */
    public static List<Use> since(long mark) {
        return USES.entrySet().stream()
                .filter(e -> e.getValue() > mark)
                .map(Map.Entry::getKey)
                .sorted(Comparator.comparing(Use::where).thenComparing(u -> u.key().toString()))
                .toList();
    }
}
