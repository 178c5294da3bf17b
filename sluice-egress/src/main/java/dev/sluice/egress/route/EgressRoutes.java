package dev.sluice.egress.route;

import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.connect.ProxyHop;
import dev.sluice.egress.health.HealthRules;
import dev.sluice.net.Tls;
import dev.sluice.policy.KeySource;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.ProxyProtocol;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;

/** Turns a policy's egress source into what the connector needs: local bind, proxy hop, health rules. */
public final class EgressRoutes {
    private EgressRoutes() {}

    /**
     * @throws IOException a password or CA key source could not be read
     */
    public static EgressRoute from(EgressSource source) throws IOException {
        ProxyHop hop = switch (source.protocol()) {
            case ProxyProtocol.Direct d -> new ProxyHop.Direct();
            case ProxyProtocol.HaProxy h -> new ProxyHop.HaProxy(h.server().toString(), h.sourceAddress());
            case ProxyProtocol.Socks5 s -> new ProxyHop.Socks5(
                    s.server().toString(),
                    s.sourceAddress().orElse(null),
                    s.username().orElse(null),
                    s.password().isPresent() ? s.password().get().load() : null,
                    s.useTls() ? tls(s) : null);
        };
        return new EgressRoute(source.name(), source.sourceAddress().orElse(null), hop,
                new HealthRules(source.suspendWhenUnplumbed().orElse(null),
                        source.suspendWhenProxyUnhealthy().orElse(null)));
    }

    /** TLS to the proxy: the configured CA, or any certificate when insecure, else the JDK's CAs. */
    private static SslContext tls(ProxyProtocol.Socks5 s) throws IOException {
        if (s.tlsInsecure()) {
            return Tls.insecureClientContext();
        }
        if (s.tlsCa().isPresent()) {
            KeySource ca = s.tlsCa().get();
            return Tls.clientContext(ca.load());
        }
        return Tls.systemClientContext();
    }
}
