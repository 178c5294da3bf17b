package dev.sluice.bench.egress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of {@link EgressLoad}, "--key value" pairs.
 *
 * @param path          label printed in the RESULT lines
 * @param target        the SMTP sink, ip:port
 * @param route         how connections leave
 * @param proxy         proxy ip:port (all routes but direct)
 * @param sources       BIND sources (socks5-bind) or the PROXY v2 source (haproxy, first one)
 * @param connections   concurrent SMTP connections
 * @param maxDeliveries messages per connection before QUIT and a new connection
 * @param phases        measured phases, in order: message size and count
 * @param warmup        messages of the first phase's size sent first, not measured (JIT, pools, proxy warm-up)
 * @param maxSeconds    time bound of each phase (and of the warm-up)
 * @param threads       event-loop threads of the load
 * @param rset          RSET between messages on a connection (KumoMTA's enable_rset default)
 * @param watch         other processes whose CPU each phase reports, by name: pids (a peer and its children)
 * @param clockTicks    kernel clock ticks per second (getconf CLK_TCK)
 */
record LoadSpec(String path, InetSocketAddress target, RouteKind route, String proxy, List<InetAddress> sources,
                int connections, int maxDeliveries, List<Phase> phases, int warmup, double maxSeconds, int threads,
                boolean rset, Map<String, List<String>> watch, int clockTicks) {

    /** One measured phase: {@code messages} messages of {@code size} bytes. */
    record Phase(int size, int messages) {}

    static LoadSpec parse(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --key value, got '" + argv[i] + "'");
            }
            a.put(argv[i].substring(2), argv[++i]);
        }
        RouteKind route = RouteKind.parse(a.getOrDefault("route", "direct"));
        String proxy = a.get("proxy");
        if (route.needsProxy() && proxy == null) throw new IllegalArgumentException("--proxy ip:port is required for " + route);
        List<InetAddress> sources = sources(a.getOrDefault("sources", ""));
        if (route.needsSources() && sources.isEmpty()) throw new IllegalArgumentException("--sources is required for " + route);
        String target = a.get("target");
        if (target == null) throw new IllegalArgumentException("--target ip:port is required");
        List<Integer> sizes = ints(a.getOrDefault("sizes", "10240,102400"));
        List<Integer> counts = ints(a.getOrDefault("messages", "20000,5000"));
        if (sizes.size() != counts.size()) throw new IllegalArgumentException("--sizes and --messages need as many entries");
        List<Phase> phases = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) phases.add(new Phase(sizes.get(i), counts.get(i)));
        return new LoadSpec(a.getOrDefault("path", route.name().toLowerCase().replace('_', '-')), endpoint(target), route,
                proxy, sources, Integer.parseInt(a.getOrDefault("connections", "32")),
                Integer.parseInt(a.getOrDefault("max-deliveries", "1024")), phases,
                Integer.parseInt(a.getOrDefault("warmup", "2000")), Double.parseDouble(a.getOrDefault("max-seconds", "60")),
                Integer.parseInt(a.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors()))),
                Boolean.parseBoolean(a.getOrDefault("rset", "true")), watch(a.getOrDefault("watch", "")),
                Integer.parseInt(a.getOrDefault("clk-tck", "100")));
    }

    static InetSocketAddress endpoint(String s) {
        int colon = s.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("expected ip:port, got " + s);
        String host = s.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(literal(host), Integer.parseInt(s.substring(colon + 1)));
    }

    /** "127.0.0.2-9" (a range of the last octet) or "127.0.0.2,127.0.0.3". */
    static List<InetAddress> sources(String s) {
        List<InetAddress> out = new ArrayList<>();
        if (s.isBlank()) return out;
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            if (dash < 0) {
                out.add(literal(part.trim()));
                continue;
            }
            String first = part.substring(0, dash).trim();
            String prefix = first.substring(0, first.lastIndexOf('.') + 1);
            int from = Integer.parseInt(first.substring(prefix.length()));
            int to = Integer.parseInt(part.substring(dash + 1).trim());
            for (int i = from; i <= to; i++) out.add(literal(prefix + i));
        }
        return out;
    }

    /** "proxy=123+124,sink=200". */
    static Map<String, List<String>> watch(String s) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (s.isBlank()) return out;
        for (String part : s.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("expected name=pid[+pid...], got " + part);
            out.put(part.substring(0, eq), List.of(part.substring(eq + 1).split("\\+")));
        }
        return out;
    }

    private static List<Integer> ints(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) out.add(Integer.parseInt(p.trim()));
        return out;
    }

    private static InetAddress literal(String ip) {
        try {
            // getByName does no lookup for literals; a name here is a mistake the user should see
            if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+")) throw new IllegalArgumentException("expected an IP address, got " + ip);
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
