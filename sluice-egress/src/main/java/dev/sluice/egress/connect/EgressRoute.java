package dev.sluice.egress.connect;

import dev.sluice.egress.health.HealthRules;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Everything the connector needs to know about one egress source.
 *
 * @param sourceName name used in messages, health and metrics
 * @param localBind  {@code source_address}: local IP bound (port 0) before connecting, to the proxy when
 *                   there is one; null = the kernel chooses
 * @param hop        direct or through which proxy
 * @param health     suspension rules; never null ({@link HealthRules#NONE})
 */
public record EgressRoute(String sourceName, InetAddress localBind, ProxyHop hop, HealthRules health) {
    public EgressRoute {
        Objects.requireNonNull(sourceName, "sourceName");
        hop = hop == null ? new ProxyHop.Direct() : hop;
        health = health == null ? HealthRules.NONE : health;
    }

    public EgressRoute(String sourceName, InetAddress localBind, ProxyHop hop) {
        this(sourceName, localBind, hop, HealthRules.NONE);
    }
}
