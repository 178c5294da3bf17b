package dev.sluice.policy.egress;

import dev.sluice.policy.KeySource;
import java.net.InetAddress;
import java.util.Optional;

/**
 * How an egress source reaches the destination, derived from its fields by {@link EgressSource#protocol()}.
 * {@link #kind()} is the name used in logs and {@code sluice check}: direct, socks5, haproxy.
 */
public sealed interface ProxyProtocol {
    String kind();

    /** Connect straight to the destination (after binding {@code source_address}, when set). */
    record Direct() implements ProxyProtocol {
        @Override
        public String kind() {
            return "direct";
        }
    }

    /**
     * Through a SOCKS5 server. With {@code sourceAddress} the proxy is asked to BIND it before CONNECT
     * (KumoMTA's convention); without it, CONNECT alone (any stock SOCKS5 server).
     *
     * @param username    RFC 1929 user; present exactly when {@code password} is
     * @param useTls      speak TLS to the proxy (a {@code sluice proxy} listener with {@code use_tls})
     * @param tlsCa       CA certificates (PEM) to verify the proxy's certificate; system trust when empty
     * @param tlsInsecure accept any certificate from the proxy
     */
    record Socks5(HostPort server, Optional<InetAddress> sourceAddress, Optional<String> username,
                  Optional<KeySource> password, boolean useTls, Optional<KeySource> tlsCa, boolean tlsInsecure)
            implements ProxyProtocol {
        @Override
        public String kind() {
            return "socks5";
        }

        public boolean hasCredentials() {
            return username.isPresent() && password.isPresent();
        }
    }

    /** Through HAProxy: one PROXY v2 header with {@code sourceAddress}:0 as the source, no reply read. */
    record HaProxy(HostPort server, InetAddress sourceAddress) implements ProxyProtocol {
        @Override
        public String kind() {
            return "haproxy";
        }
    }
}
