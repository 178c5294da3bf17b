package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import dev.sluice.net.IpLiterals;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * In-memory DNS from zone-file text, as KumoMTA's {@code kumo.dns.configure_test_resolver}: each zone
 * is {@code $ORIGIN name.} plus A, AAAA, MX and CNAME records (other types are read and ignored);
 * names in {@code servfail} answer SERVFAIL. Nothing leaves the process.
 */
public final class TestZoneResolver implements Resolver {
    private static final int MAX_CNAME_CHAIN = 8;

    private final Map<String, List<ZoneRecord>> records;
    private final Set<String> servfail;

    private TestZoneResolver(Map<String, List<ZoneRecord>> records, Set<String> servfail) {
        this.records = records;
        this.servfail = servfail;
    }

    /**
     * @param zones    zone-file texts
     * @param servfail owner names whose every lookup fails with SERVFAIL
     * @throws IllegalArgumentException naming the zone line that does not parse
     */
    public static TestZoneResolver of(List<String> zones, List<String> servfail) {
        Map<String, List<ZoneRecord>> records = new HashMap<>();
        for (String zone : zones) {
            for (ZoneRecord r : ZoneFile.parse(zone)) {
                records.computeIfAbsent(r.owner(), k -> new ArrayList<>()).add(r);
            }
        }
        Set<String> fail = new HashSet<>();
        servfail.forEach(s -> fail.add(DnsNames.normalize(s)));
        return new TestZoneResolver(Map.copyOf(records), Set.copyOf(fail));
    }

    public static TestZoneResolver of(String... zones) {
        return of(List.of(zones), List.of());
    }

    @Override
    public CompletableFuture<List<InetAddress>> addresses(String host, IpLookupStrategy strategy) {
        Optional<InetAddress> literal = IpLiterals.parse(host);
        if (literal.isPresent()) {
            return CompletableFuture.completedFuture(strategy.apply(List.of(literal.get())));
        }
        try {
            String name = follow(DnsNames.normalize(host));
            List<InetAddress> out = new ArrayList<>();
            for (ZoneRecord r : records.getOrDefault(name, List.of())) {
                if (r.type().equals("A") || r.type().equals("AAAA")) {
                    out.add(IpLiterals.parse(r.data()).orElseThrow());
                }
            }
            List<InetAddress> chosen = strategy.apply(out);
            if (chosen.isEmpty()) {
                throw new UnknownHostException(host + ": no " + strategy + " addresses in the test zones");
            }
            return CompletableFuture.completedFuture(chosen);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<List<MxRecord>> mx(String domain) {
        try {
            String name = follow(DnsNames.normalize(domain));
            if (!records.containsKey(name)) {
                throw new UnknownHostException("MX lookup for " + domain + ": domain does not exist (NXDOMAIN)");
            }
            List<MxRecord> mx = new ArrayList<>();
            for (ZoneRecord r : records.get(name)) {
                if (r.type().equals("MX")) {
                    String[] parts = r.data().split("\\s+");
                    String exchange = DnsNames.normalize(parts[1]);
                    mx.add(new MxRecord(Integer.parseInt(parts[0]), exchange.equals(".") ? "" : exchange));
                }
            }
            return CompletableFuture.completedFuture(NettyDnsResolver.sortOrImplicit(name, mx));
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<List<String>> txt(String name) {
        return strings("TXT", DnsNames.normalize(name), TestZoneResolver::unquote);
    }

    @Override
    public CompletableFuture<List<String>> ptr(InetAddress ip) {
        return strings("PTR", DnsNames.reverse(ip), name -> name + ".");
    }

    /** The data of {@code owner}'s records of {@code type}, each through {@code format}. */
    private CompletableFuture<List<String>> strings(String type, String owner, Function<String, String> format) {
        try {
            List<String> out = new ArrayList<>();
            for (ZoneRecord r : existing(type, follow(owner))) {
                if (r.type().equals(type)) out.add(format.apply(r.data()));
            }
            return CompletableFuture.completedFuture(List.copyOf(out));
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private List<ZoneRecord> existing(String what, String name) throws UnknownHostException {
        List<ZoneRecord> found = records.get(name);
        if (found == null) {
            throw new UnknownHostException(what + " lookup for " + name + ": domain does not exist (NXDOMAIN)");
        }
        return found;
    }

    /** TXT data as written in the zone: quoted character-strings joined, bare words kept. */
    private static String unquote(String data) {
        StringBuilder out = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < data.length(); i++) {
            char c = data.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '\\' && i + 1 < data.length()) {
                out.append(data.charAt(++i));
            } else if (quoted || !Character.isWhitespace(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Follows CNAMEs from {@code name}; throws on SERVFAIL names and loops. */
    private String follow(String name) throws DnsFailureException {
        String current = name;
        for (int i = 0; i <= MAX_CNAME_CHAIN; i++) {
            if (servfail.contains(current)) {
                throw new DnsFailureException("lookup of " + current + " failed: SERVFAIL");
            }
            Optional<ZoneRecord> cname = records.getOrDefault(current, List.of()).stream()
                    .filter(r -> r.type().equals("CNAME")).findFirst();
            if (cname.isEmpty()) return current;
            current = DnsNames.normalize(cname.get().data());
        }
        throw new DnsFailureException("CNAME chain from " + name + " is longer than " + MAX_CNAME_CHAIN);
    }

    /** One record: owner (normalized), type (upper case), data (as written, names made absolute). */
    record ZoneRecord(String owner, String type, String data) {}

    /** A small zone-file reader: $ORIGIN, $TTL, comments, parentheses, relative names, "@". */
    static final class ZoneFile {
        private static final Set<String> CLASSES = Set.of("IN", "CH", "HS", "CS");
        private static final Set<String> TYPES = Set.of("A", "AAAA", "MX", "CNAME", "TXT", "NS", "SOA", "PTR",
                "SRV", "TLSA", "CAA", "SPF", "DS", "DNSKEY", "RRSIG", "NSEC", "HINFO");

        static List<ZoneRecord> parse(String text) {
            List<ZoneRecord> out = new ArrayList<>();
            String origin = "";
            String lastOwner = null;
            List<String> lines = joinParentheses(text.stripIndent());
            for (String raw : lines) {
                String line = stripComment(raw);
                if (line.isBlank()) continue;
                boolean continuation = Character.isWhitespace(line.charAt(0));
                List<String> tokens = tokens(line);
                if (tokens.getFirst().equalsIgnoreCase("$ORIGIN")) {
                    origin = DnsNames.normalize(tokens.get(1));
                    continue;
                }
                if (tokens.getFirst().startsWith("$")) continue; // $TTL and friends
                int i = 0;
                String owner;
                if (continuation) {
                    if (lastOwner == null) throw new IllegalArgumentException("record without owner: " + raw.strip());
                    owner = lastOwner;
                } else {
                    owner = absolute(tokens.get(0), origin);
                    i = 1;
                }
                String type = null;
                for (; i < tokens.size(); i++) {
                    String t = tokens.get(i).toUpperCase(Locale.ROOT);
                    if (TYPES.contains(t)) { type = t; i++; break; }
                    if (CLASSES.contains(t) || t.chars().allMatch(Character::isDigit)) continue;
                    throw new IllegalArgumentException("cannot read zone line '" + raw.strip() + "': unknown token " + tokens.get(i));
                }
                if (type == null) throw new IllegalArgumentException("cannot read zone line '" + raw.strip() + "': no record type");
                List<String> rdata = tokens.subList(i, tokens.size());
                lastOwner = owner;
                String data = switch (type) {
                    case "A", "AAAA" -> {
                        if (rdata.size() != 1 || IpLiterals.parse(rdata.get(0)).isEmpty()) {
                            throw new IllegalArgumentException("bad " + type + " data in '" + raw.strip() + "'");
                        }
                        yield rdata.get(0);
                    }
                    case "MX" -> {
                        if (rdata.size() != 2) throw new IllegalArgumentException("bad MX data in '" + raw.strip() + "'");
                        yield Integer.parseInt(rdata.get(0)) + " " + absolute(rdata.get(1), origin);
                    }
                    case "CNAME", "PTR" -> absolute(rdata.get(0), origin);
                    default -> String.join(" ", rdata);
                };
                out.add(new ZoneRecord(owner, type, data));
            }
            return out;
        }

        private static String absolute(String name, String origin) {
            if (name.equals("@")) return origin;
            if (name.endsWith(".")) return DnsNames.normalize(name);
            return DnsNames.normalize(origin.isEmpty() ? name : name + "." + origin);
        }

        private static String stripComment(String line) {
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '"') quoted = !quoted;
                if (c == ';' && !quoted) return line.substring(0, i);
            }
            return line;
        }

        private static List<String> tokens(String line) {
            List<String> out = new ArrayList<>();
            for (String t : line.strip().split("\\s+")) {
                if (!t.isEmpty()) out.add(t);
            }
            return out;
        }

        /** Lines, with a parenthesised group (SOA) folded into one line. */
        private static List<String> joinParentheses(String text) {
            List<String> out = new ArrayList<>();
            StringBuilder pending = null;
            for (String line : text.split("\\R")) {
                String l = stripComment(line);
                if (pending != null) {
                    pending.append(' ').append(l.replace(")", " "));
                    if (l.contains(")")) { out.add(pending.toString()); pending = null; }
                } else if (l.contains("(") && !l.contains(")")) {
                    pending = new StringBuilder(l.replace("(", " "));
                } else {
                    out.add(l.replace("(", " ").replace(")", " "));
                }
            }
            if (pending != null) out.add(pending.toString());
            return out;
        }
    }

    @Override
    public String toString() {
        return "test resolver (" + records.size() + " names)";
    }
}
