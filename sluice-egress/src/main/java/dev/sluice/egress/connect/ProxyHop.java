package dev.sluice.egress.connect;

import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** How a connection reaches its destination: directly, through a SOCKS5 proxy, or through HAProxy. */
public sealed interface ProxyHop {

    /** Connect to the destination from {@code source_address} (or the kernel's choice). */
    record Direct() implements ProxyHop {}

    /**
     * A SOCKS5 proxy.
     *
     * @param server     "ip:port", "[v6]:port" or "host:port" (resolved at connect time)
     * @param bindSource address the proxy BINDs before CONNECT (KumoProxy convention); null = CONNECT alone,
     *                   which stock servers (dante, microsocks) understand
     * @param username   RFC 1929 user, with {@code password}; both null = no authentication offered
     * @param password   RFC 1929 password bytes
     * @param tls        speak TLS to the proxy first ({@code sluice proxy} with use_tls); null = plain TCP
     */
    record Socks5(String server, InetAddress bindSource, String username, byte[] password, SslContext tls) implements ProxyHop {
        public Socks5 {
            Objects.requireNonNull(server, "server");
            if ((username == null) != (password == null)) {
                throw new IllegalArgumentException("socks5 username and password must be given together");
            }
            if (username != null && username.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new IllegalArgumentException("username is too long for SOCKS5 protocol");
            }
            if (password != null && password.length > 255) {
                throw new IllegalArgumentException("password is too long for SOCKS5 protocol");
            }
        }

        public Socks5(String server, InetAddress bindSource) {
            this(server, bindSource, null, null, null);
        }

        public boolean hasCredentials() {
            return username != null;
        }
    }

    /**
     * HAProxy with {@code accept-proxy}: one PROXY v2 header asks it to connect from {@code proxySource}.
     *
     * @param server      "ip:port", "[v6]:port" or "host:port"
     * @param proxySource source IP written in the header (port 0)
     */
    record HaProxy(String server, InetAddress proxySource) implements ProxyHop {
        public HaProxy {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(proxySource, "proxySource");
        }
    }
}
