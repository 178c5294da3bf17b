package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import dev.sluice.net.TcpKeepalive;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One SOCKS5 listener, as {@code proxy.start_proxy_listener{...}} describes it.
 *
 * @param listen address to bind; port 0 picks an ephemeral port
 * @param hostname CN/SAN of the self-signed certificate when TLS has no certificate configured
 * @param timeout bound on every handshake step (greeting, auth, each request, each bind/connect); not the relay
 * @param useSplice relay plain-TCP clients with splice(2)
 * @param useTls clients speak TLS to the listener
 * @param tlsCertificatePem PEM certificate chain, or null with a null key for a self-signed certificate
 * @param tlsPrivateKeyPem PEM private key (PKCS#8), or null with a null certificate
 * @param requireAuth refuse clients that do not offer username/password
 * @param tcpKeepalive keepalive for the client socket and each outbound socket
 * @param allowedClients client addresses allowed to connect at all; null = any
 * @param allowedSourceAddresses addresses a client may BIND; null = any
 * @param allowedDestinationPorts destination ports a client may CONNECT to; null = any
 * @param allowedDestinations destinations a client may CONNECT to although the default refuses them (loopback,
 *     unspecified, link-local, multicast, this host's own addresses); null = none. Other destinations are not
 *     restricted by it
 * @param identityRules extra rules per authenticated identity (identities without an entry get only the above)
 * @param sourceLimits session limits per BIND source range (concurrent sessions, new-session rate)
 */
public record ProxyListenerConfig(
        InetSocketAddress listen,
        String hostname,
        Duration timeout,
        boolean useSplice,
        boolean useTls,
        byte[] tlsCertificatePem,
        byte[] tlsPrivateKeyPem,
        boolean requireAuth,
        TcpKeepalive tcpKeepalive,
        CidrSet allowedClients,
        CidrSet allowedSourceAddresses,
        Set<Integer> allowedDestinationPorts,
        CidrSet allowedDestinations,
        Map<String, IdentityRules> identityRules,
        List<SourceLimit> sourceLimits) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    public ProxyListenerConfig {
        Objects.requireNonNull(listen, "listen");
        if (hostname == null || hostname.isBlank()) {
            hostname = "localhost";
        }
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if ((tlsCertificatePem == null) != (tlsPrivateKeyPem == null)) {
            throw new IllegalArgumentException(
                    "tls_certificate and tls_private_key must be given together (or neither, for a self-signed certificate)");
        }
        tcpKeepalive = tcpKeepalive == null ? TcpKeepalive.DEFAULT : tcpKeepalive;
        allowedDestinationPorts = allowedDestinationPorts == null ? null : Set.copyOf(allowedDestinationPorts);
        identityRules = identityRules == null ? Map.of() : Map.copyOf(identityRules);
        sourceLimits = sourceLimits == null ? List.of() : List.copyOf(sourceLimits);
    }

    /** KumoProxy defaults for a listener on {@code listen}. */
    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    /**
     * Mutable builder with KumoProxy defaults (timeout 60 s, splice on, no TLS, no auth, keepalive on, no ACL), and
     * Sluice's default refusal of destinations on this host (see {@link #allowedDestinations}).
     */
    public static final class Builder {
        private InetSocketAddress listen;
        private String hostname = "localhost";
        private Duration timeout = DEFAULT_TIMEOUT;
        private boolean useSplice = true;
        private boolean useTls;
        private byte[] tlsCertificatePem;
        private byte[] tlsPrivateKeyPem;
        private boolean requireAuth;
        private TcpKeepalive tcpKeepalive = TcpKeepalive.DEFAULT;
        private CidrSet allowedClients;
        private CidrSet allowedSourceAddresses;
        private Set<Integer> allowedDestinationPorts;
        private CidrSet allowedDestinations;
        private Map<String, IdentityRules> identityRules = Map.of();
        private List<SourceLimit> sourceLimits = List.of();

        private Builder(InetSocketAddress listen) {
            this.listen = listen;
        }

        public Builder listen(InetSocketAddress v) { listen = v; return this; }
        public Builder hostname(String v) { hostname = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder useSplice(boolean v) { useSplice = v; return this; }
        public Builder useTls(boolean v) { useTls = v; return this; }
        public Builder tlsCertificatePem(byte[] v) { tlsCertificatePem = v; return this; }
        public Builder tlsPrivateKeyPem(byte[] v) { tlsPrivateKeyPem = v; return this; }
        public Builder requireAuth(boolean v) { requireAuth = v; return this; }
        public Builder tcpKeepalive(TcpKeepalive v) { tcpKeepalive = v; return this; }
        public Builder allowedClients(CidrSet v) { allowedClients = v; return this; }
        public Builder allowedSourceAddresses(CidrSet v) { allowedSourceAddresses = v; return this; }
        public Builder allowedDestinationPorts(Set<Integer> v) { allowedDestinationPorts = v; return this; }
        public Builder allowedDestinations(CidrSet v) { allowedDestinations = v; return this; }
        public Builder identityRules(Map<String, IdentityRules> v) { identityRules = v; return this; }
        public Builder sourceLimits(List<SourceLimit> v) { sourceLimits = v; return this; }

        public ProxyListenerConfig build() {
            return new ProxyListenerConfig(listen, hostname, timeout, useSplice, useTls, tlsCertificatePem, tlsPrivateKeyPem,
                    requireAuth, tcpKeepalive, allowedClients, allowedSourceAddresses, allowedDestinationPorts, allowedDestinations, identityRules,
                    sourceLimits);
        }
    }
}
