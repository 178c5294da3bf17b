package dev.sluice.egress.dns;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.SocketAddresses;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code kumo.dns.configure_resolver{...}} and {@code kumo.dns.configure_test_resolver(...)}: both replace
 * the resolver that {@link Resolvers} hands out.
 *
 * <ul>
 *   <li>{@code configure_resolver{ name_servers = {'127.0.0.1:5353', {socket_addr = '[::1]:53'}}, domain=, search=, options= }}
 *       (also wrapped as {@code { Hickory = {...} }}): ask those servers only. {@code domain}, {@code search}
 *       and {@code options} are accepted and not acted on.</li>
 *   <li>{@code configure_resolver{ Test = { zones = {...}, servfail = {...} } }} and
 *       {@code configure_test_resolver({...zones})} or {@code configure_test_resolver{zones=..., servfail=...}}:
 *       in-memory zones ({@link TestZoneResolver}).</li>
 * </ul>
 */
public final class DnsPolicyModule implements LuaModule {
    private static final Set<String> HICKORY_KEYS = Set.of("name_servers", "domain", "search", "options");

    private final Resolvers resolvers;

    public DnsPolicyModule(Resolvers resolvers) {
        this.resolvers = Objects.requireNonNull(resolvers, "resolvers");
    }

    @Override
    public void install(Registrar registrar) {
        registrar.function("kumo.dns", "configure_resolver", args -> {
            resolvers.set(fromResolverConfig(arg(args, "configure_resolver")));
            return null;
        });
        registrar.function("kumo.dns", "configure_test_resolver", args -> {
            resolvers.set(fromTestConfig(arg(args, "configure_test_resolver"), "configure_test_resolver"));
            return null;
        });
    }

    private static Object arg(List<Object> args, String fn) {
        if (args.isEmpty() || args.getFirst() == null) {
            throw new ConfigException("kumo.dns." + fn + ": expected a table argument");
        }
        return args.getFirst();
    }

    /** The argument of {@code configure_resolver}, as a resolver. */
    public static Resolver fromResolverConfig(Object value) {
        Map<String, Object> table = map(value, "configure_resolver");
        if (table.size() == 1 && table.containsKey("Test")) {
            return fromTestConfig(table.get("Test"), "configure_resolver Test");
        }
        if (table.size() == 1 && table.containsKey("Hickory")) {
            return fromResolverConfig(table.get("Hickory"));
        }
        for (String key : table.keySet()) {
            if (!HICKORY_KEYS.contains(key)) {
                throw new ConfigException("configure_resolver: unknown key '" + key
                        + "' (Sluice supports name_servers, domain, search, options, { Hickory = ... } and { Test = ... })");
            }
        }
        Object servers = table.get("name_servers");
        if (!(servers instanceof List<?> list) || list.isEmpty()) {
            throw new ConfigException("configure_resolver: name_servers must be a non-empty list");
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (Object entry : list) {
            addresses.add(nameServer(entry));
        }
        return new DnsServerResolver(addresses);
    }

    private static InetSocketAddress nameServer(Object entry) {
        Object addr = entry;
        if (entry instanceof Map<?, ?> m) {
            addr = m.get("socket_addr");
            Object protocol = m.get("protocol");
            if (protocol != null && !"udp".equalsIgnoreCase(String.valueOf(protocol))) {
                throw new ConfigException("configure_resolver: name server protocol '" + protocol + "' is not supported (udp only)");
            }
        }
        if (!(addr instanceof String s)) {
            throw new ConfigException("configure_resolver: a name server is 'ip:port' or { socket_addr = 'ip:port' }, got "
                    + typeName(addr));
        }
        var bare = IpLiterals.parse(s);
        if (bare.isPresent()) {
            return new InetSocketAddress(bare.get(), 53);
        }
        try {
            return SocketAddresses.parseIpPort(s);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("configure_resolver: name server " + e.getMessage());
        }
    }

    /** A list of zones, or {@code { zones = {...}, servfail = {...} }}; a zone is text or {@code {zone = text, secure = bool}}. */
    public static Resolver fromTestConfig(Object value, String where) {
        List<String> zones = new ArrayList<>();
        List<String> servfail = new ArrayList<>();
        Object zoneList;
        if (value instanceof Map<?, ?> m && (m.containsKey("zones") || m.containsKey("servfail"))) {
            for (Object key : m.keySet()) {
                if (!key.equals("zones") && !key.equals("servfail")) {
                    throw new ConfigException(where + ": unknown key '" + key + "'");
                }
            }
            zoneList = m.get("zones");
            Object sf = m.get("servfail");
            if (sf != null) {
                if (!(sf instanceof List<?> l)) throw new ConfigException(where + ": servfail must be a list of names");
                l.forEach(x -> servfail.add(String.valueOf(x)));
            }
        } else {
            zoneList = value;
        }
        if (zoneList != null) {
            if (!(zoneList instanceof List<?> l)) {
                throw new ConfigException(where + ": zones must be a list of zone texts");
            }
            for (Object z : l) {
                if (z instanceof String s) zones.add(s);
                else if (z instanceof Map<?, ?> zm && zm.get("zone") instanceof String s) zones.add(s);
                else throw new ConfigException(where + ": a zone is a string or { zone = '...', secure = bool }");
            }
        }
        try {
            return TestZoneResolver.of(zones, servfail);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String where) {
        if (value instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new ConfigException(where + ": expected a table, got " + typeName(value));
    }

    private static String typeName(Object value) {
        return switch (value) {
            case null -> "nil";
            case String s -> "string";
            case Number n -> "number";
            case Boolean b -> "boolean";
            case List<?> l -> "list";
            case Map<?, ?> m -> "table";
            default -> value.getClass().getSimpleName();
        };
    }
}
