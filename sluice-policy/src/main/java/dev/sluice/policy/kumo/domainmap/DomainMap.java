package dev.sluice.policy.kumo.domainmap;

import dev.sluice.policy.LuaObject;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code kumo.domain_map.new([table])}: a mutable map keyed by domain name. {@code map[domain]} returns
 * the value of the exact key, else of the most specific wildcard {@code *.parent} above it ({@code
 * *.example.com} matches {@code a.example.com} and {@code a.b.example.com}, never {@code example.com}),
 * else nil. {@code map[key] = value} adds or replaces, {@code = nil} removes.
 *
 * <p>Sluice does better than KumoMTA in two ways: names compare case-insensitively (DNS names do), and
 * an exact key does not hide a wildcard for the names below it (in KumoMTA, adding
 * {@code b.example.com} makes {@code a.b.example.com} stop matching {@code *.example.com}).
 * Thread-safe. As in KumoMTA, each call of a {@code kumo.memoize}d function that returns a map gets a copy of the
 * cached one: changing it changes neither the cache nor what other calls get. The copy is made on the first
 * write (the cached entries are shared until then), so a lookup in a memoized map costs no copy.
 */
public final class DomainMap implements LuaObject {
    private volatile Map<String, Object> exact = new ConcurrentHashMap<>();
    /** Wildcard keys without their {@code *.}. */
    private volatile Map<String, Object> wildcards = new ConcurrentHashMap<>();
    /** The two maps are shared with a memoize cache and other copies: copy them before the first write. */
    private boolean copyOnWrite; // guarded by this

    public DomainMap(Map<String, Object> initial) {
        initial.forEach(this::put);
    }

    private DomainMap(Map<String, Object> exact, Map<String, Object> wildcards) {
        this.exact = exact;
        this.wildcards = wildcards;
        this.copyOnWrite = true;
    }

    /** A copy sharing this map's entries until either is written (this one's entries are snapshot first). */
    @Override
    public synchronized LuaObject memoized() {
        if (!copyOnWrite) { // entries its owner may still change: the cache takes a snapshot
            return new DomainMap(new ConcurrentHashMap<>(exact), new ConcurrentHashMap<>(wildcards));
        }
        return new DomainMap(exact, wildcards);
    }

    public synchronized void put(String key, Object value) {
        if (copyOnWrite) {
            exact = new ConcurrentHashMap<>(exact);
            wildcards = new ConcurrentHashMap<>(wildcards);
            copyOnWrite = false;
        }
        String k = normalise(key);
        Map<String, Object> target = exact;
        if (k.startsWith("*.")) {
            target = wildcards;
            k = k.substring(2);
        }
        if (value == null) {
            target.remove(k);
        } else {
            target.put(k, value);
        }
    }

    public Object get(String domain) {
        String name = normalise(domain);
        Object value = exact.get(name);
        if (value != null) {
            return value;
        }
        for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
            value = wildcards.get(name.substring(dot + 1));
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String normalise(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.endsWith(".") && k.length() > 1 ? k.substring(0, k.length() - 1) : k;
    }

    @Override
    public String typeName() {
        return "DomainMap";
    }

    @Override
    public Object index(Object key) {
        return key == null ? null : get(String.valueOf(key));
    }

    @Override
    public void newIndex(Object key, Object value) {
        if (!(key instanceof String k)) {
            throw new IllegalArgumentException("a DomainMap key must be a domain name string, got " + key);
        }
        put(k, value);
    }

    /** Every key and its value, wildcards written {@code *.parent}, sorted: what json_encode shows. */
    @Override
    public Object toData() {
        Map<String, Object> data = new java.util.TreeMap<>(exact);
        wildcards.forEach((k, v) -> data.put("*." + k, v));
        return data;
    }

    @Override
    public Long length() {
        return (long) (exact.size() + wildcards.size());
    }
}
