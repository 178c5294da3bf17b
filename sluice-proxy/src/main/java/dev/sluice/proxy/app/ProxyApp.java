package dev.sluice.proxy.app;

import dev.sluice.net.CidrSet;
import dev.sluice.net.SocketAddresses;
import dev.sluice.net.http.HttpServer;
import dev.sluice.net.http.MetricsRoutes;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.PolicyException;
import dev.sluice.proxy.ProxyListenerConfig;
import dev.sluice.proxy.ProxyServer;
import io.netty.util.ResourceLeakDetector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code sluice proxy} process: builds the setup, starts listeners, waits for SIGTERM, drains. */
public final class ProxyApp {
    private static final Logger log = LoggerFactory.getLogger(ProxyApp.class);

    /** How long running relays may go on after SIGTERM before they are cut. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

    private ProxyApp() {}

    /**
     * Either a Lua config file, or KumoProxy's legacy flags (plus Sluice's {@code --allow-destination} CIDRs, which
     * clients may CONNECT to although they are on this host).
     */
    public record Options(Path config, List<String> listen, boolean useSplice, Duration timeout, List<String> allowDestinations) {
        public Options {
            listen = List.copyOf(listen);
            allowDestinations = List.copyOf(allowDestinations);
        }

        public static Options fromConfig(Path config) {
            return new Options(Objects.requireNonNull(config), List.of(), true, null, List.of());
        }

        public static Options legacy(List<String> listen, boolean useSplice, Duration timeout, List<String> allowDestinations) {
            return new Options(null, listen, useSplice, timeout, allowDestinations);
        }
    }

    /**
     * Runs the proxy until SIGTERM or SIGINT and returns the exit code.
     *
     * @throws PolicyException a bad Lua config, as {@code file:line: reason}
     * @throws IllegalArgumentException a bad legacy flag value
     */
    public static int run(Options options) throws Exception {
        disableLeakDetectionUnlessAsked(System.getProperties());
        var registry = new PrometheusRegistry();
        ProxySetup setup = options.config() != null
                ? LuaProxyConfig.load(options.config(), registry)
                : legacySetup(options);
        var terminated = new CountDownLatch(1);
        Signals.onTerminate(terminated::countDown);
        try (AutoCloseable resources = setup.resources()) {
            var running = start(setup, registry);
            log.info("initialization complete");
            terminated.await();
            log.info("shutting down: no new sessions; relays may finish for up to {} s", SHUTDOWN_GRACE.toSeconds());
            running.stop(SHUTDOWN_GRACE);
        }
        return 0;
    }

    /**
     * Turns Netty's buffer leak detector off unless {@code io.netty.leakDetection.level} (or its old name
     * {@code io.netty.leakDetectionLevel}) asks for a level. At its default level it samples one buffer in 128 and
     * records a stack trace where that buffer is allocated and another where it is released: a stack walk in a few
     * sessions out of every hundred (the proxy's only exceptions with a stack trace, found with JFR; docs/benchmarks.md),
     * for a check that the proxy's tests make and that its running cost need not pay.
     *
     * @return whether it was turned off
     */
    static boolean disableLeakDetectionUnlessAsked(java.util.Properties properties) {
        if (properties.getProperty("io.netty.leakDetection.level") != null
                || properties.getProperty("io.netty.leakDetectionLevel") != null) {
            return false;
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        return true;
    }

    /** A started proxy process: SOCKS5 listeners and HTTP listeners. */
    record Running(ProxyServer proxy, List<HttpServer> http) {
        void stop(Duration grace) {
            http.forEach(HttpServer::stop);
            proxy.shutdown(grace);
        }
    }

    static Running start(ProxySetup setup, PrometheusRegistry registry) throws Exception {
        var proxy = new ProxyServer(setup.listeners(), setup.authenticator(), registry);
        proxy.start();
        var http = new ArrayList<HttpServer>();
        for (HttpListenerConfig config : setup.httpListeners()) {
            var server = statusServer(config, registry);
            server.start();
            http.add(server);
        }
        return new Running(proxy, List.copyOf(http));
    }

    /** The proxy's HTTP listener: KumoProxy's health check body, and the metrics. */
    static HttpServer statusServer(HttpListenerConfig config, PrometheusRegistry registry) {
        var server = new HttpServer(config);
        server.get("/proxy/status", HttpServer.Access.PUBLIC, request -> HttpResponse.text(200, "KumoProxy OK"));
        MetricsRoutes.install(server, registry);
        return server;
    }

    /**
     * KumoProxy's legacy mode: one listener per --listen, no auth (so no client is asked for a password), no HTTP
     * listener.
     *
     * @throws IllegalArgumentException a bad --listen address or --allow-destination CIDR
     */
    static ProxySetup legacySetup(Options options) {
        CidrSet allowed = options.allowDestinations().isEmpty() ? null : allowDestinations(options.allowDestinations());
        var listeners = options.listen().stream()
                .map(text -> ProxyListenerConfig.builder(SocketAddresses.parseIpPort(text))
                        .useSplice(options.useSplice())
                        .timeout(options.timeout())
                        .allowedDestinations(allowed)
                        .build())
                .toList();
        return new ProxySetup(listeners, List.of(), null, () -> {});
    }

    private static CidrSet allowDestinations(List<String> cidrs) {
        try {
            return CidrSet.parse(cidrs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--allow-destination: " + e.getMessage(), e);
        }
    }
}
