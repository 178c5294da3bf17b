package dev.sluice.egress.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.egress.connect.ConnectMetrics;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.net.Transports;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.MxHost;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The one owner of a delivery attempt's way to a server: each way it can end is its own result. */
class SessionOpenerTest {
    private static final EgressPath OPEN = EgressPath.parse(Map.of("prohibited_hosts", Map.of(), "enable_tls", "Disabled"));

    @RegisterExtension
    final Peers peers = new Peers();

    private final EventLoopGroup loops = Transports.newEventLoopGroup(1);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final SessionOpener opener = new SessionOpener(new Connector(TestZoneResolver::of,
            new SourceHealth(registry), new RouteHealth(), new ConnectMetrics(registry)), loops, "opener.test");
    private final EgressSource source = EgressSource.direct("direct-1", Optional.empty());

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static DestinationPlanner.Plan plan(EgressPath path, String... addresses) {
        List<MxHost> mx = new ArrayList<>();
        for (int i = 0; i < addresses.length; i++) {
            mx.add(MxHost.parse("mx_list", Map.of("name", "mx" + i, "addr", addresses[i])));
        }
        return new DestinationPlanner(TestZoneResolver::of).plan("example.test", mx, path, OptionalInt.empty()).join();
    }

    private SessionOpener.Result open(DestinationPlanner.Plan plan, SessionOpener.OnConnect onConnect) throws Exception {
        return opener.open(source, EgressRoutes.from(source), plan, "example.test", onConnect)
                .get(30, TimeUnit.SECONDS);
    }

    @Test
    void theFirstDestinationThatConnectsGetsTheSessionAfterTheFailuresBeforeIt() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.builder().start());
        var plan = plan(OPEN, "127.0.0.1:" + FreePorts.tcp(), "127.0.0.1:" + sink.port());

        var result = open(plan, SessionOpener.OnConnect.ANY);

        assertThat(result).isInstanceOf(SessionOpener.Result.Opened.class);
        var opened = (SessionOpener.Result.Opened) result;
        assertThat(opened.destination().mxName()).isEqualTo("mx1");
        assertThat(opened.failures()).hasSize(1);
        assertThat(opened.failures().getFirst().message()).contains("127.0.0.1");
        opened.smtp().quit().get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyDestinationFailingIsOneTransientResultNamingThemAll() throws Exception {
        int a = FreePorts.tcp();
        int b = FreePorts.tcp();
        var result = open(plan(OPEN, "127.0.0.1:" + a, "127.0.0.1:" + b), SessionOpener.OnConnect.ANY);

        assertThat(result).isInstanceOf(SessionOpener.Result.Unreachable.class);
        var unreachable = (SessionOpener.Result.Unreachable) result;
        assertThat(unreachable.failures()).hasSize(2);
        DeliveryResult r = unreachable.result();
        assertThat(r).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(r.response().code()).isEqualTo(400);
        assertThat(r.response().content()).contains(String.valueOf(a)).contains(String.valueOf(b));
    }

    @Test
    void aPlanWithNowhereToGoIsUnroutableWithKumoMtasCodes() throws Exception {
        // the default path prohibits loopback: every address is prohibited, a permanent 5.4.4
        var prohibited = open(plan(EgressPath.DEFAULT, "127.0.0.1:25"), SessionOpener.OnConnect.ANY);
        assertThat(prohibited).isInstanceOf(SessionOpener.Result.Unroutable.class);
        DeliveryResult p = ((SessionOpener.Result.Unroutable) prohibited).result();
        assertThat(p).isInstanceOf(DeliveryResult.Permanent.class);
        assertThat(p.response().singleLine()).startsWith("550 5.4.4 MX for the destination resolves only to prohibited");

        var none = new DestinationPlanner.Plan("site", OPEN, List.of(), List.of(), List.of("lookup timed out"));
        var nowhere = SessionOpener.unroutable(none, "example.test").orElseThrow();
        assertThat(nowhere).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(nowhere.response().singleLine())
                .isEqualTo("451 4.4.4 no address to deliver to for example.test: lookup timed out");
    }

    @Test
    void aConnectionTheCallerDeclinesIsAbandonedAndLeftToTheCaller() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.builder().start());
        var result = open(plan(OPEN, "127.0.0.1:" + sink.port()), (connected, destination) -> false);

        assertThat(result).isInstanceOf(SessionOpener.Result.Abandoned.class);
        ((SessionOpener.Result.Abandoned) result).connected().channel().close().sync();
    }
}
