package dev.sluice.egress.dns;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.SocketAddresses;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.egress.IpLookupStrategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code kumo.dns} functions: configuring the resolver the MTA uses, and lookups from the policy through
 * that same resolver.
 *
 * <ul>
 *   <li>{@code configure_resolver{ name_servers = {'127.0.0.1:5353', {socket_addr = '[::1]:53'}}, domain=, search=, options= }}
 *       (also wrapped as {@code { Hickory = {...} }}): ask those servers only ({@link DnsServerResolver});
 *       {@code domain}/{@code search} become the search list of address lookups; of {@code options},
 *       {@code timeout}, {@code attempts}, {@code ndots}, {@code use_hosts_file}, {@code recursion_desired} and
 *       {@code edns0} act ({@link ResolverOptions}), KumoMTA's other options are accepted and listed by
 *       {@link IgnoredKeys}, anything else is an error.</li>
 *   <li>{@code configure_resolver{ Test = { zones = {...}, servfail = {...} } }} and
 *       {@code configure_test_resolver({...zones})} or {@code configure_test_resolver{zones=..., servfail=...}}:
 *       in-memory zones ({@link TestZoneResolver}).</li>
 *   <li>{@code define_resolver(name, config)}: a named resolver (same config forms) for the optional resolver
 *       argument of the lookups.</li>
 *   <li>{@code lookup_mx(domain[, resolver])} (KumoMTA's table: {@code by_pref}, {@code hosts},
 *       {@code site_name}, {@code domain_name}, {@code is_domain_literal}, {@code is_mx}, {@code mta_sts}),
 *       {@code lookup_addr(name[, resolver[, strategy]])}, {@code lookup_ptr(ip[, resolver])},
 *       {@code lookup_txt(domain[, resolver])}: a name that does not exist raises, as does a failed lookup.</li>
 * </ul>
 */
public final class DnsPolicyModule implements LuaModule {
    private static final Set<String> HICKORY_KEYS = Set.of("name_servers", "domain", "search", "options");
    /** The resolver options of KumoMTA that Sluice acts on, and the ones it accepts without acting on them. */
    static final ConfigSchema OPTIONS = ConfigSchema.of("configure_resolver.options",
            Set.of("timeout", "attempts", "ndots", "use_hosts_file", "recursion_desired", "edns0"),
            Set.of("cache_size", "case_randomization", "ip_strategy", "negative_max_ttl", "negative_min_ttl",
                    "num_concurrent_reqs", "positive_max_ttl", "positive_min_ttl", "preserve_intermediates",
                    "server_ordering_strategy", "trust_anchor_file", "try_tcp_on_error", "validate"));
    static final ConfigSchema NAME_SERVER = ConfigSchema.of("configure_resolver.name_servers",
            Set.of("socket_addr", "protocol"), Set.of("trust_negative_responses", "bind_addr"));
    /** How long a lookup from Lua waits at most, beyond the resolver's own timeouts and attempts. */
    private static final Duration LOOKUP_BOUND = Duration.ofSeconds(60);

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
        registrar.function("kumo.dns", "define_resolver", args -> {
            if (args.isEmpty() || !(args.getFirst() instanceof String name) || name.isEmpty()) {
                throw new ConfigException("kumo.dns.define_resolver: expected (name, config)");
            }
            resolvers.define(name, fromResolverConfig(args.size() > 1 ? args.get(1) : null));
            return null;
        });
        registrar.function("kumo.dns", "lookup_mx", args -> {
            String domain = name(args, "lookup_mx", "DOMAIN");
            Optional<InetAddress> literal = domainLiteral(domain);
            if (literal.isPresent()) {
                return mxTable(domain, literal.get());
            }
            return mxTable(domain, await("lookup_mx", resolver(args, "lookup_mx").mx(domain)));
        });
        registrar.function("kumo.dns", "lookup_addr", args -> {
            String name = name(args, "lookup_addr", "NAME");
            IpLookupStrategy strategy = IpLookupStrategy.Ipv4AndIpv6;
            if (args.size() > 2 && args.get(2) != null) {
                strategy = IpLookupStrategy.parse(String.valueOf(args.get(2)));
            }
            List<String> out = new ArrayList<>();
            for (InetAddress a : await("lookup_addr", resolver(args, "lookup_addr").addresses(name, strategy))) {
                out.add(IpLiterals.format(a));
            }
            return out;
        });
        registrar.function("kumo.dns", "lookup_ptr", args -> {
            String text = name(args, "lookup_ptr", "IP");
            InetAddress ip = IpLiterals.parse(text).orElseThrow(() ->
                    new ConfigException("kumo.dns.lookup_ptr: '" + text + "' is not an IP address"));
            return await("lookup_ptr", resolver(args, "lookup_ptr").ptr(ip));
        });
        registrar.function("kumo.dns", "lookup_txt", args ->
                await("lookup_txt", resolver(args, "lookup_txt").txt(name(args, "lookup_txt", "DOMAIN"))));
    }

    private static String name(List<Object> args, String fn, String what) {
        if (args.isEmpty() || !(args.getFirst() instanceof String s) || s.isBlank()) {
            throw new ConfigException("kumo.dns." + fn + ": expected " + what + " as a string, got "
                    + typeName(args.isEmpty() ? null : args.getFirst()));
        }
        return s;
    }

    /** The optional second argument names a resolver from {@code define_resolver}; absent: the default. */
    private Resolver resolver(List<Object> args, String fn) {
        if (args.size() < 2 || args.get(1) == null) {
            return resolvers.get();
        }
        String name = String.valueOf(args.get(1));
        return resolvers.named(name).orElseThrow(() -> new ConfigException("kumo.dns." + fn
                + ": no resolver named '" + name + "' (define it with kumo.dns.define_resolver)"));
    }

    private static <T> T await(String fn, java.util.concurrent.CompletableFuture<T> lookup) throws Exception {
        try {
            return lookup.get(LOOKUP_BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String why = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
            throw new IllegalStateException("kumo.dns." + fn + ": " + why, cause);
        } catch (TimeoutException e) {
            lookup.cancel(false);
            throw new IllegalStateException("kumo.dns." + fn + ": no answer within " + LOOKUP_BOUND.toSeconds() + " s");
        }
    }

    /** {@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]} or {@code [2001:db8::1]} as an address. */
    static Optional<InetAddress> domainLiteral(String domain) {
        if (!domain.startsWith("[") || !domain.endsWith("]")) {
            return Optional.empty();
        }
        String inner = domain.substring(1, domain.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            inner = inner.substring(5);
        }
        return IpLiterals.parse(inner);
    }

    /** KumoMTA's MX table for a resolved domain. */
    static Map<String, Object> mxTable(String domain, List<MxRecord> records) {
        Map<Long, List<String>> byPref = new TreeMap<>();
        boolean isMx = true;
        for (MxRecord r : records) {
            long pref = r.implicit() ? 1 : r.preference(); // KumoMTA's implicit MX has preference 1
            isMx &= !r.implicit();
            byPref.computeIfAbsent(pref, k -> new ArrayList<>()).add(r.exchange() + ".");
        }
        List<String> hosts = new ArrayList<>();
        for (List<String> level : byPref.values()) {
            level.sort(null);
            hosts.addAll(level);
        }
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("by_pref", byPref);
        table.put("hosts", hosts);
        table.put("site_name", SiteNames.factor(hosts));
        table.put("domain_name", DnsNames.normalize(domain) + ".");
        table.put("is_domain_literal", false);
        table.put("is_mx", isMx);
        table.put("mta_sts", "None");
        return table;
    }

    /** KumoMTA's MX table for {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}: the address is the host. */
    static Map<String, Object> mxTable(String literal, InetAddress address) {
        String host = IpLiterals.format(address);
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("by_pref", Map.of(1L, List.of(host)));
        table.put("hosts", List.of(host));
        table.put("site_name", host);
        table.put("domain_name", literal);
        table.put("is_domain_literal", true);
        table.put("is_mx", false);
        table.put("mta_sts", "None");
        return table;
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
        boolean tcpFallback = false;
        for (Object entry : list) {
            addresses.add(nameServer(entry));
            tcpFallback |= !(entry instanceof Map<?, ?> m && "udp".equalsIgnoreCase(String.valueOf(m.get("protocol"))));
        }
        return new DnsServerResolver(addresses, options(table, tcpFallback));
    }

    /** {@code domain}, {@code search} and {@code options} as {@link ResolverOptions}. */
    private static ResolverOptions options(Map<String, Object> table, boolean tcpFallback) {
        ResolverOptions d = ResolverOptions.DEFAULT;
        List<String> search = new ArrayList<>();
        if (table.get("domain") != null) {
            if (!(table.get("domain") instanceof String domain)) {
                throw new ConfigException("configure_resolver: domain must be a string, got " + typeName(table.get("domain")));
            }
            search.add(domain);
        }
        Object searchList = table.get("search");
        if (searchList instanceof List<?> l) {
            for (Object x : l) {
                if (!(x instanceof String name)) throw new ConfigException("configure_resolver: search must be a list of domains");
                search.add(name);
            }
        } else if (searchList != null && !(searchList instanceof Map<?, ?> m && m.isEmpty())) {
            throw new ConfigException("configure_resolver: search must be a list of domains, got " + typeName(searchList));
        }
        ConfigTable options = ConfigTable.of(OPTIONS, table.get("options"));
        Duration timeout = options.raw("timeout") instanceof Map<?, ?> hickory
                ? hickoryDuration(hickory) : options.duration("timeout", d.timeout());
        if (timeout.isZero() || timeout.isNegative()) {
            throw new ConfigException("configure_resolver.options: key 'timeout' must be positive");
        }
        int attempts = options.integer("attempts", d.attempts());
        int ndots = options.integer("ndots", d.ndots());
        if (attempts < 0 || ndots < 0) {
            throw new ConfigException("configure_resolver.options: attempts and ndots must not be negative");
        }
        boolean hostsFile = switch (options.raw("use_hosts_file")) {
            case null -> d.hostsFile();
            case Boolean b -> b;
            case String s when s.equals("Always") -> true;
            case String s when s.equals("Never") || s.equals("Auto") -> false; // Auto: the configured servers answer
            default -> throw new ConfigException("configure_resolver.options: key 'use_hosts_file' must be 'Always', "
                    + "'Auto' or 'Never'");
        };
        return new ResolverOptions(timeout, attempts, search, ndots, hostsFile,
                options.bool("recursion_desired", d.recursionDesired()), options.bool("edns0", d.edns0()), tcpFallback);
    }

    /** hickory 0.24/0.25's {@code {secs = 5, nanos = 0}} form of a duration. */
    private static Duration hickoryDuration(Map<?, ?> value) {
        Object n = value.get("nanos");
        if (!(value.get("secs") instanceof Long secs) || !((n == null ? (Object) 0L : n) instanceof Long nanos)) {
            throw new ConfigException("configure_resolver.options: key 'timeout' must be a duration such as '2s'");
        }
        return Duration.ofSeconds(secs, nanos);
    }

    private static InetSocketAddress nameServer(Object entry) {
        Object addr = entry;
        if (entry instanceof Map<?, ?> m) {
            ConfigTable server = ConfigTable.of(NAME_SERVER, m);
            addr = server.raw("socket_addr");
            String protocol = server.string("protocol", "udp_then_tcp");
            if (!protocol.equalsIgnoreCase("udp") && !protocol.equalsIgnoreCase("udp_then_tcp")) {
                throw new ConfigException("configure_resolver: name server protocol '" + protocol
                        + "' is not supported (udp, or udp_then_tcp: UDP with TCP for truncated answers)");
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
