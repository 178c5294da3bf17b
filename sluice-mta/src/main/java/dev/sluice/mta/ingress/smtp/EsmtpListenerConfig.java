package dev.sluice.mta.ingress.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One {@code kumo.start_esmtp_listener{...}}: where to listen, listener-wide limits and TLS identity, the default
 * per-connection {@link EsmtpParams} and the {@code via} (by local address) and {@code peer} (by client address)
 * overrides. Build it from Lua with {@link EsmtpListenerParser#parse}.
 *
 * @param listen              address to bind; port 0 takes a free port
 * @param maxConnections      concurrent sessions; excess ones get 421 4.3.2 and are closed
 * @param params              defaults for every connection
 * @param via                 overrides for connections arriving on a local address in the CIDR
 * @param peer                overrides for clients in the CIDR (applied after {@code via}, so the peer wins)
 * @param tlsCertificatePem   STARTTLS certificate chain, null for a self-signed one made at start
 * @param tlsPrivateKeyPem    its PKCS#8 key, null with a null certificate
 */
public record EsmtpListenerConfig(InetSocketAddress listen, int maxConnections, EsmtpParams params,
                                  List<ParamsOverride> via, List<ParamsOverride> peer,
                                  byte[] tlsCertificatePem, byte[] tlsPrivateKeyPem) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:2025";
    public static final int DEFAULT_MAX_CONNECTIONS = 32768;

    public EsmtpListenerConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(params, "params");
        if (maxConnections <= 0) {
            throw new IllegalArgumentException("max_connections must be positive, got " + maxConnections);
        }
        if ((tlsCertificatePem == null) != (tlsPrivateKeyPem == null)) {
            throw new IllegalArgumentException("tls_certificate and tls_private_key must be given together");
        }
        // Most specific last, so that a /32 entry beats the /8 that contains it.
        Comparator<ParamsOverride> bySpecificity = Comparator.comparingInt(o -> o.cidr().prefixLength());
        via = via.stream().sorted(bySpecificity).toList();
        peer = peer.stream().sorted(bySpecificity).toList();
    }

    /** Defaults everywhere except the listen address and the params. */
    public static EsmtpListenerConfig of(InetSocketAddress listen, EsmtpParams params) {
        return new EsmtpListenerConfig(listen, DEFAULT_MAX_CONNECTIONS, params, List.of(), List.of(), null, null);
    }

    public EsmtpListenerConfig withMaxConnections(int max) {
        return new EsmtpListenerConfig(listen, max, params, via, peer, tlsCertificatePem, tlsPrivateKeyPem);
    }

    public EsmtpListenerConfig withParams(EsmtpParams p) {
        return new EsmtpListenerConfig(listen, maxConnections, p, via, peer, tlsCertificatePem, tlsPrivateKeyPem);
    }

    public EsmtpListenerConfig withOverrides(List<ParamsOverride> viaOverrides, List<ParamsOverride> peerOverrides) {
        return new EsmtpListenerConfig(listen, maxConnections, params, viaOverrides, peerOverrides, tlsCertificatePem,
                tlsPrivateKeyPem);
    }

    /** The params for a client at {@code peer} connected to {@code local}: defaults, then via, then peer blocks. */
    public EsmtpParams paramsFor(InetAddress peerAddress, InetAddress localAddress) {
        EsmtpParams p = params;
        for (ParamsOverride o : via) {
            if (localAddress != null && o.cidr().contains(localAddress)) {
                p = o.change().apply(p);
            }
        }
        for (ParamsOverride o : peer) {
            if (peerAddress != null && o.cidr().contains(peerAddress)) {
                p = o.change().apply(p);
            }
        }
        return p;
    }
}
