package dev.sluice.bench.egress;

import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.connect.ProxyHop;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;

/** How the load's connections leave: the four rows of the benchmark. */
enum RouteKind {
    /** Straight to the sink: the ceiling. */
    DIRECT,
    /** SOCKS5 CONNECT alone (stock servers such as microsocks). */
    SOCKS5,
    /** SOCKS5 BIND then CONNECT, KumoProxy's convention ({@code sluice proxy}), sources spread over connections. */
    SOCKS5_BIND,
    /** One PROXY v2 header to HAProxy, which connects from the given source. */
    HAPROXY;

    static RouteKind parse(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /**
     * The route of connection number {@code index}.
     *
     * @param proxy   "ip:port" of the proxy (ignored for DIRECT)
     * @param sources BIND sources for SOCKS5_BIND (connection i uses sources[i % n]), the PROXY v2 source for
     *                HAPROXY (the first one)
     */
    EgressRoute route(int index, String proxy, List<InetAddress> sources) {
        return switch (this) {
            case DIRECT -> new EgressRoute("bench-direct", null, new ProxyHop.Direct());
            case SOCKS5 -> new EgressRoute("bench-socks5", null, new ProxyHop.Socks5(proxy, null));
            case SOCKS5_BIND -> new EgressRoute("bench-socks5-bind", null,
                    new ProxyHop.Socks5(proxy, sources.get(index % sources.size())));
            case HAPROXY -> new EgressRoute("bench-haproxy", null, new ProxyHop.HaProxy(proxy, sources.getFirst()));
        };
    }

    boolean needsProxy() {
        return this != DIRECT;
    }

    boolean needsSources() {
        return this == SOCKS5_BIND || this == HAPROXY;
    }
}
