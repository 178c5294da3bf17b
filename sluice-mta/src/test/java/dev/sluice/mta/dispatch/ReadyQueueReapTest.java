package dev.sluice.mta.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.egress.connect.ConnectMetrics;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.MxHost;
import dev.sluice.policy.throttle.Throttles;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Idle ready queues go away with their lanes, metrics series and rate gates, and come back when mail arrives. */
class ReadyQueueReapTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration REAP_AFTER = Duration.ofMillis(500);

    @RegisterExtension
    final Peers peers = new Peers();

    private final EventLoopGroup group = Transports.newEventLoopGroup(2);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Recorder recorder = new Recorder();
    private final Throttles throttles = new Throttles();
    private SmtpDispatch dispatch;
    private int sequence;

    @AfterEach
    void stop() {
        if (dispatch != null) dispatch.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private SmtpDispatch dispatch(Duration reapAfter) {
        var connector = new Connector(TestZoneResolver::of, new SourceHealth(registry), new RouteHealth(),
                new ConnectMetrics(registry));
        dispatch = new SmtpDispatch(connector, group, "mta.example.test", recorder, registry,
                new DispatchSettings(1024, Duration.ofMillis(200), reapAfter), throttles);
        return dispatch;
    }

    private static DestinationPlanner.Plan site(String name, InetSocketAddress destination) {
        EgressPath path = EgressPath.parse(Map.of("prohibited_hosts", Map.of(), "enable_tls", "Disabled",
                "max_deliveries_per_connection", 1L, "max_message_rate", "1000/s", "max_connection_rate", "1000/s"));
        var mx = List.of(MxHost.parse("mx_list", Map.of("name", name, "addr", IpLiterals.format(destination))));
        return new DestinationPlanner(TestZoneResolver::of).plan("example.test", mx, path, OptionalInt.empty()).join();
    }

    private void submit(DestinationPlanner.Plan plan) {
        int n = ++sequence;
        byte[] data = ("Subject: " + n + "\r\n\r\nbody " + n + "\r\n").getBytes(StandardCharsets.UTF_8);
        Message m = new Message(MessageId.next(Instant.now()), "sender@origin.test", "rcpt" + n + "@example.test",
                Map.of(), data);
        dispatch.submit(new ReadyMessage(m, "example.test", "pool", EgressSource.direct("direct-1", Optional.empty()),
                plan, 1));
    }

    /** The per-queue service labels the registry exports now (the all-queues "smtp_client" left out). */
    private Set<String> queueSeries() {
        Set<String> out = new TreeSet<>();
        for (MetricSnapshot s : registry.scrape()) {
            for (DataPointSnapshot p : s.getDataPoints()) {
                String service = p.getLabels().get("service");
                if (service != null && !service.equals(DispatchMetrics.SERVICE)) out.add(service);
            }
        }
        return out;
    }

    private void awaitDelivered(int count) {
        await().atMost(WAIT).until(() -> recorder.size() >= count);
        assertThat(recorder.duplicates()).isEmpty();
        assertThat(recorder.count(DeliveryResult.Delivered.class)).as(recorder.outcomes().toString()).isEqualTo(count);
    }

    @Test
    void idleQueuesAreReapedWithTheirSeriesAndComeBackForNewMail() {
        SmtpSink sink = peers.add(SmtpSink.builder().start());
        List<DestinationPlanner.Plan> sites = IntStream.range(0, 6).mapToObj(i -> site("site-" + i, sink.address())).toList();
        dispatch(REAP_AFTER);

        sites.forEach(s -> {
            submit(s);
            submit(s);
        });
        awaitDelivered(12);
        assertThat(queueSeries()).hasSize(6);
        int gates = throttles.gateCount();
        assertThat(gates).as("a message and a connection rate per queue").isEqualTo(12);

        // past the idle period every queue is gone, and so are its series and its rate gates
        await().atMost(WAIT).until(() -> dispatch.queues().isEmpty());
        assertThat(queueSeries()).isEmpty();
        assertThat(throttles.gateCount()).isZero();
        assertThat(dispatch.metrics().delivered(DispatchMetrics.SERVICE)).as("the all-queues series stays").isEqualTo(12);

        // new mail to one site makes its queue again and is delivered
        submit(sites.get(3));
        awaitDelivered(13);
        assertThat(dispatch.queues()).hasSize(1);
        String service = DispatchMetrics.service("direct-1", sites.get(3).siteName());
        assertThat(queueSeries()).containsExactly(service);
        assertThat(dispatch.metrics().delivered(service)).as("a fresh series").isEqualTo(1);
        await().atMost(WAIT).until(() -> dispatch.queues().isEmpty());
    }

    @Test
    void aQueueWithAConnectionOrWaitingMessagesIsNotReaped() throws InterruptedException {
        SmtpSink sink = peers.add(SmtpSink.builder().start());
        EgressPath path = EgressPath.parse(Map.of("prohibited_hosts", Map.of(), "enable_tls", "Disabled",
                "idle_timeout", "3s"));
        var mx = List.of(MxHost.parse("mx_list", Map.of("name", "kept", "addr", IpLiterals.format(sink.address()))));
        var plan = new DestinationPlanner(TestZoneResolver::of).plan("example.test", mx, path, OptionalInt.empty()).join();
        dispatch(REAP_AFTER);

        submit(plan);
        awaitDelivered(1);
        // the connection stays open, idle, for 3 s: the queue is not idle while it is there
        Thread.sleep(REAP_AFTER.multipliedBy(3).toMillis());
        assertThat(dispatch.queues()).hasSize(1);
        await().atMost(WAIT).until(() -> dispatch.queues().isEmpty());
    }
}
