package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressPool;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.QueueConfig;
import dev.sluice.policy.egress.QueueProtocol;
import dev.sluice.policy.egress.ThrottleSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * KumoMTA's {@code GET /api/admin/resolve-egress-path/v1?domain=…[&source=…]} (trusted hosts or accepted HTTP
 * Basic, like the other admin routes): what the policy would do for mail to {@code domain}, from the configuration
 * side, without a message: {@code get_queue_config} for the scheduled queue (Sluice also takes {@code tenant},
 * {@code campaign} and {@code routing_domain} for it), the egress pool and source (the one named, else the pool's
 * heaviest; all of the pool's are listed), the source's proxy and address, the MX lookup and site, and
 * {@code get_egress_path_config} for (domain, source, site). Answers KumoMTA's {@code ResolveEgressPathV1Response}:
 * {@code domain}, {@code source}, {@code queue_name} (the ready queue it would use), {@code queue_config},
 * {@code path_config}, {@code mx}, {@code constraints}; plus Sluice's {@code scheduled_queue}, {@code egress_pool},
 * {@code pool_sources} and {@code source_config}. A policy that fails answers 400 with its error.
 */
public final class ResolveEgressPathRoute {
    public static final String PATH = "/api/admin/resolve-egress-path/v1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PLAN_TIMEOUT = Duration.ofSeconds(30);

    private ResolveEgressPathRoute() {}

    public static void install(HttpServer server, EgressConfigResolver resolver, DestinationPlanner planner) {
        server.route("GET", PATH, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request -> {
            String domain = request.queryParam("domain");
            if (domain == null || domain.isBlank()) {
                throw new AdminRoutes.BadBody("the query parameter 'domain' is required");
            }
            domain = domain.strip().toLowerCase(java.util.Locale.ROOT);
            try {
                return HttpResponse.json(200, JSON.writeValueAsString(resolve(resolver, planner, domain,
                        param(request.queryParam("source")), param(request.queryParam("tenant")),
                        param(request.queryParam("campaign")), param(request.queryParam("routing_domain")))));
            } catch (PolicyException e) {
                return HttpResponse.text(400, e.getMessage() + "\n");
            }
        }));
    }

    static Map<String, Object> resolve(EgressConfigResolver resolver, DestinationPlanner planner, String domain,
                                       String sourceName, String tenant, String campaign, String routingDomain)
            throws PolicyException, InterruptedException {
        QueueName queue = new QueueName(QueueName.format(campaign, tenant, domain, routingDomain), campaign, tenant,
                domain, routingDomain);
        QueueConfig config = resolver.queueConfig(domain, tenant, campaign, routingDomain);
        EgressPool pool = resolver.pool(config.poolName());
        List<EgressPool.Entry> entries = new ArrayList<>(pool.entries());
        entries.sort(Comparator.comparingLong(EgressPool.Entry::weight).reversed());
        String chosen = sourceName != null ? sourceName
                : entries.isEmpty() ? EgressSource.UNSPECIFIED : entries.get(0).name();
        EgressSource source = resolver.source(chosen);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("domain", domain);
        out.put("source", source.name());
        out.put("scheduled_queue", queue.name());
        out.put("egress_pool", pool.name());
        List<Object> sources = new ArrayList<>();
        for (EgressPool.Entry e : entries) {
            sources.add(Map.of("name", e.name(), "weight", e.weight()));
        }
        out.put("pool_sources", sources);
        out.put("source_config", sourceConfig(source));
        out.put("queue_config", InspectRoutes.queueConfig(config));
        if (config.protocol() instanceof QueueProtocol.CustomLua lua) { // the policy delivers: no MX, no path
            out.put("queue_name", source.name() + "->" + queue.name() + "@lua:" + lua.constructor());
            out.put("mx", null);
            out.put("path_config", Map.of());
            out.put("constraints", Map.of());
            return out;
        }
        String delivery = queue.deliveryDomain();
        List<dev.sluice.policy.egress.MxHost> mxList = config.protocol() instanceof QueueProtocol.Smtp smtp
                ? smtp.mxList() : List.of();
        DestinationPlanner.Plan plan;
        try {
            plan = planner.plan(delivery, mxList, site -> {
                try {
                    return CompletableFuture.completedFuture(resolver.path(delivery, source.name(), site));
                } catch (PolicyException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }, source.remotePort()).get(PLAN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause()
                    : e.getCause();
            if (cause instanceof PolicyException p) {
                throw p;
            }
            throw new AdminRoutes.BadBody("resolving the MX of " + delivery + " failed: " + cause.getMessage());
        } catch (TimeoutException e) {
            throw new AdminRoutes.BadBody("resolving the MX of " + delivery + " took longer than " + PLAN_TIMEOUT);
        }
        out.put("queue_name", source.name() + "->" + plan.siteName() + "@smtp_client");
        Map<String, Object> mx = new LinkedHashMap<>();
        mx.put("site_name", plan.siteName());
        mx.put("is_mx", mxList.isEmpty());
        mx.put("hosts", plan.destinations().stream().map(d -> d.host() + " " + d.address().getAddress()
                .getHostAddress() + ":" + d.address().getPort()).toList());
        mx.put("prohibited", plan.prohibited().stream().map(a -> a.getAddress().getHostAddress()).toList());
        mx.put("lookup_errors", plan.lookupErrors());
        out.put("mx", mx);
        out.put("path_config", InspectRoutes.pathConfig(plan.path()));
        out.put("constraints", constraints(plan.path(), config));
        return out;
    }

    /** The source's address and proxy: where the destination sees the mail come from. */
    private static Map<String, Object> sourceConfig(EgressSource s) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("proxy_protocol", String.valueOf(s.protocol()));
        c.put("source_address", s.sourceAddress().map(a -> a.getHostAddress()).orElse(null));
        c.put("ehlo_domain", s.ehloDomain().orElse(null));
        c.put("socks5_proxy_server", s.socks5ProxyServer().map(h -> h.host() + ":" + h.port()).orElse(null));
        c.put("socks5_proxy_source_address", s.socks5ProxySourceAddress().map(a -> a.getHostAddress()).orElse(null));
        c.put("ha_proxy_server", s.haProxyServer().map(h -> h.host() + ":" + h.port()).orElse(null));
        c.put("ha_proxy_source_address", s.haProxySourceAddress().map(a -> a.getHostAddress()).orElse(null));
        c.put("remote_port", s.remotePort().isPresent() ? s.remotePort().getAsInt() : null);
        return c;
    }

    /** KumoMTA's EffectiveConstraints: the ceilings a path implies, each with the term that set it. */
    private static Map<String, Object> constraints(EgressPath p, QueueConfig queue) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> concurrency = ceiling(p.connectionLimit(), String.valueOf(p.connectionLimit()),
                Map.of("kind", "primary"));
        for (var e : p.additionalConnectionLimits().entrySet()) {
            if (e.getValue() < ((Number) concurrency.get("value")).doubleValue()) {
                concurrency = ceiling(e.getValue(), String.valueOf(e.getValue()),
                        Map.of("kind", "additional", "name", e.getKey()));
            }
        }
        c.put("max_concurrent_dispatchers", concurrency);
        c.put("max_connection_rate", p.maxConnectionRate().map(r -> ceiling(perSecond(r), rate(r),
                Map.of("kind", "primary"))).orElse(null));
        List<Map<String, Object>> rates = new ArrayList<>();
        p.maxMessageRate().ifPresent(r -> rates.add(ceiling(perSecond(r), rate(r), Map.of("kind", "primary"))));
        p.additionalMessageRates().forEach((name, r) -> rates.add(ceiling(perSecond(r), rate(r),
                Map.of("kind", "additional", "name", name))));
        queue.maxMessageRate().ifPresent(r -> rates.add(ceiling(perSecond(r), rate(r),
                Map.of("kind", "other", "name", "scheduled queue max_message_rate"))));
        p.maxConnectionRate().ifPresent(r -> rates.add(ceiling(perSecond(r) * p.maxDeliveriesPerConnection(),
                p.maxDeliveriesPerConnection() + " × " + rate(r), Map.of("kind", "reconnect_cycling"))));
        Optional<Map<String, Object>> lowest = rates.stream()
                .min(Comparator.comparingDouble(m -> ((Number) m.get("value")).doubleValue()));
        c.put("max_message_rate", lowest.orElse(null));
        c.put("max_message_rate_declared", p.maxMessageRate().filter(r -> lowest.isPresent()
                && !"primary".equals(((Map<?, ?>) lowest.get().get("source")).get("kind"))).map(
                ResolveEgressPathRoute::rate).orElse(null));
        c.put("max_source_selection_rate", null);
        return c;
    }

    private static Map<String, Object> ceiling(double value, String display, Map<String, String> source) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("display", display);
        m.put("source", source);
        m.put("value", value);
        return m;
    }

    private static double perSecond(ThrottleSpec r) {
        return r.limit() / Math.max(1e-9, r.period().toNanos() / 1e9);
    }

    /** A rate as an operator writes it: {@code 100/s}, {@code 10000/h}, {@code 5/30s}. */
    static String rate(ThrottleSpec r) {
        long s = r.period().toSeconds();
        String per = s == 1 ? "s" : s == 60 ? "m" : s == 3600 ? "h" : s == 86400 ? "d"
                : AdminRequests.formatDuration(r.period());
        return r.limit() + "/" + per;
    }

    private static String param(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }
}
