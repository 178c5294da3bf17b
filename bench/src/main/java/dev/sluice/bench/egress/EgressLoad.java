package dev.sluice.bench.egress;

import dev.sluice.egress.connect.ConnectMetrics;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpClientOptions;
import dev.sluice.net.Transports;
import dev.sluice.policy.egress.TlsMode;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Delivers pre-built messages to an SMTP sink through Sluice's egress layer and prints one RESULT line per
 * phase (bench/egress-bench.sh runs it once per row).
 * <pre>
 * EgressLoad --target 127.0.0.1:PORT [--route direct|socks5|socks5-bind|haproxy --proxy IP:PORT]
 *            [--sources 127.0.0.2-9] [--connections 32] [--max-deliveries 1024]
 *            [--sizes 10240,102400 --messages 20000,5000] [--warmup 2000] [--max-seconds 60]
 *            [--threads N] [--rset true] [--watch proxy=PID+PID,sink=PID] [--clk-tck 100] [--path LABEL]
 * </pre>
 */
public final class EgressLoad {
    private final LoadSpec spec;
    private final Connector connector;
    private final EventLoopGroup loops;
    private final SmtpClientOptions options;

    EgressLoad(LoadSpec spec, EventLoopGroup loops) {
        this.spec = spec;
        this.loops = loops;
        PrometheusRegistry registry = new PrometheusRegistry();
        this.connector = new Connector(new Resolvers(), new SourceHealth(registry), new RouteHealth(),
                new ConnectMetrics(registry));
        // as a path with enable_tls = "Disabled": the sink speaks no TLS and the benchmark measures the relay
        this.options = SmtpClientOptions.defaults("bench.sluice.test")
                .withEnableTls(TlsMode.Disabled)
                .withEnablePipelining(true)
                .withEnableRset(spec.rset());
    }

    public static void main(String[] argv) throws Exception {
        LoadSpec spec;
        try {
            spec = LoadSpec.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("EgressLoad: " + e.getMessage());
            System.exit(2);
            return;
        }
        EventLoopGroup loops = Transports.newEventLoopGroup(spec.threads());
        try {
            EgressLoad load = new EgressLoad(spec, loops);
            if (spec.warmup() > 0) {
                PhaseResult w = load.run(new LoadSpec.Phase(spec.phases().getFirst().size(), spec.warmup()));
                System.err.println("warm-up: " + w.line().substring("RESULT ".length()));
            }
            for (LoadSpec.Phase phase : spec.phases()) {
                System.out.println(load.run(phase).line());
                System.out.flush();
            }
        } finally {
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Runs one phase to its message count or time bound, measuring wall time and CPU around it. */
    PhaseResult run(LoadSpec.Phase phase) throws InterruptedException {
        Envelope envelope = Envelope.of("bench@sluice.test", List.of("sink@bench.test"), Messages.of(phase.size()));
        long deadline = System.nanoTime() + (long) (spec.maxSeconds() * 1e9);
        PhaseStats stats = new PhaseStats(phase.messages(), deadline);
        Map<String, Long> before = watchedTicks();
        long selfBefore = ProcCpu.ticks("self");
        long start = System.nanoTime();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int i = 0; i < spec.connections(); i++) {
            running.add(new ConnectionLoop(connector, spec.route().route(i, spec.proxy(), spec.sources()), spec.target(),
                    options, envelope, spec.maxDeliveries(), loops.next(), stats).start());
        }
        try {
            // the phase's own deadline ends every loop; this only guards against a hung QUIT
            CompletableFuture.allOf(running.toArray(CompletableFuture[]::new))
                    .get((long) (spec.maxSeconds() * 1000) + 30_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            stats.error("phase did not end: " + e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double selfCpu = (ProcCpu.ticks("self") - selfBefore) / (double) spec.clockTicks();
        Map<String, Double> watched = new LinkedHashMap<>();
        watchedTicks().forEach((name, ticks) -> watched.put(name, (ticks - before.get(name)) / (double) spec.clockTicks()));
        if (stats.firstError() != null) {
            System.err.println("first error (" + spec.path() + ", " + phase.size() + " B): " + stats.firstError());
        }
        return new PhaseResult(spec.path(), phase.size(), stats.delivered.get(), seconds, stats.errors(),
                stats.connections.get(), stats.timedOut(), selfCpu, watched);
    }

    private Map<String, Long> watchedTicks() {
        Map<String, Long> out = new LinkedHashMap<>();
        spec.watch().forEach((name, pids) -> out.put(name, ProcCpu.ticks(pids)));
        return out;
    }
}
