package dev.sluice.mta.app;

import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.ClientTlsContexts;
import dev.sluice.policy.Policy;
import dev.sluice.policy.egress.EgressConfigResolver;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.Executor;

/**
 * What the MTA's parts share, for a {@link DispatchFactory}: the loaded policy and its config resolver, the
 * executor for policy calls (never an event loop), the delivery event loops, the egress connector and health,
 * DNS, the EHLO host name, the client TLS trust, and the metrics registry.
 */
public record MtaServices(Policy policy, EgressConfigResolver config, Executor policyExecutor, EventLoopGroup loops,
                          Connector connector, SourceHealth sourceHealth, RouteHealth routeHealth, Resolvers resolvers,
                          String hostname, ClientTlsContexts tls, PrometheusRegistry registry) {}
