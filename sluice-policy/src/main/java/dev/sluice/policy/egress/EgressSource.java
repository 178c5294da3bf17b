package dev.sluice.policy.egress;

import dev.sluice.policy.KeySource;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An egress source ({@code kumo.make_egress_source{...}} / {@code kumo.define_egress_source{...}}): the
 * identity mail leaves under, and how it gets out. Built by {@link EgressSourceParser}, which enforces
 * the proxy rules; see {@link #protocol()}.
 *
 * @param sourceAddress local address bound before connecting (to the proxy, when there is one)
 * @param remotePort    overrides the destination port (beats an mx_list port and the path's smtp_port)
 * @param ttl           how long a resolved source is cached (default 60 s)
 */
public record EgressSource(
        String name,
        Optional<String> ehloDomain,
        Optional<InetAddress> sourceAddress,
        OptionalInt remotePort,
        Optional<HostPort> haProxyServer,
        Optional<InetAddress> haProxySourceAddress,
        Optional<HostPort> socks5ProxyServer,
        Optional<InetAddress> socks5ProxySourceAddress,
        Optional<String> socks5ProxyUsername,
        Optional<KeySource> socks5ProxyPassword,
        boolean socks5ProxyUseTls,
        Optional<KeySource> socks5ProxyTlsCa,
        boolean socks5ProxyTlsInsecure,
        Optional<SuspensionRule> suspendWhenUnplumbed,
        Optional<SuspensionRule> suspendWhenProxyUnhealthy,
        Duration ttl) {

    public static final String UNSPECIFIED = "unspecified";
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

    public EgressSource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ttl, "ttl");
        String problem = EgressSourceParser.proxyProblem(haProxyServer.isPresent(), haProxySourceAddress.isPresent(),
                socks5ProxyServer.isPresent(), socks5ProxySourceAddress.isPresent(), socks5ProxyUsername.isPresent(),
                socks5ProxyPassword.isPresent(), socks5ProxyUseTls, socks5ProxyTlsCa.isPresent(), socks5ProxyTlsInsecure);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** The built-in source {@code unspecified}: no settings, the kernel picks the source address. */
    public static EgressSource unspecified() {
        return direct(UNSPECIFIED, Optional.empty());
    }

    /** A source with no proxy, binding {@code sourceAddress} when present. */
    public static EgressSource direct(String name, Optional<InetAddress> sourceAddress) {
        return new EgressSource(name, Optional.empty(), sourceAddress, OptionalInt.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false,
                Optional.empty(), false, Optional.empty(), Optional.empty(), DEFAULT_TTL);
    }

    /**
     * The route: HAProxy when both of its fields are set; SOCKS5 when {@code socks5_proxy_server} is set
     * (with BIND of {@code socks5_proxy_source_address} when that is set too, else CONNECT alone); else direct.
     * Half-configured proxies cannot exist: the constructor rejects them.
     */
    public ProxyProtocol protocol() {
        if (haProxyServer.isPresent()) {
            return new ProxyProtocol.HaProxy(haProxyServer.get(), haProxySourceAddress.orElseThrow());
        }
        if (socks5ProxyServer.isPresent()) {
            return new ProxyProtocol.Socks5(socks5ProxyServer.get(), socks5ProxySourceAddress, socks5ProxyUsername,
                    socks5ProxyPassword, socks5ProxyUseTls, socks5ProxyTlsCa, socks5ProxyTlsInsecure);
        }
        return new ProxyProtocol.Direct();
    }

    /** The address the destination sees when known from the config: the proxy's source address, else ours. */
    public Optional<InetAddress> outboundAddress() {
        return switch (protocol()) {
            case ProxyProtocol.HaProxy h -> Optional.of(h.sourceAddress());
            case ProxyProtocol.Socks5 s -> s.sourceAddress();
            case ProxyProtocol.Direct d -> sourceAddress;
        };
    }

    @Override
    public String toString() {
        // never print the password
        return "EgressSource[name=" + name + ", protocol=" + protocol().kind() + ", ehlo_domain=" + ehloDomain.orElse("")
                + ", source_address=" + sourceAddress.map(InetAddress::getHostAddress).orElse("")
                + ", proxy=" + haProxyServer.or(() -> socks5ProxyServer).map(HostPort::toString).orElse("")
                + ", proxy_source_address=" + outboundAddressText() + ", ttl=" + ttl + "]";
    }

    private String outboundAddressText() {
        return haProxySourceAddress.or(() -> socks5ProxySourceAddress).map(InetAddress::getHostAddress).orElse("");
    }
}
