package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.dispatch.DispatchSettings;
import dev.sluice.mta.dispatch.LuaDispatch;
import dev.sluice.mta.dispatch.ProtocolDispatch;
import dev.sluice.mta.dispatch.SmtpDispatch;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.SmtpSink;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The MTA after delivering to many sites keeps nothing for them once they have been idle: the scheduled queues go
 * after their {@code reap_interval}, the ready queues (and their metrics series) after the dispatcher's idle period;
 * new mail to one of them makes its queues again and is delivered.
 */
class MtaReapTest extends MtaAppTestBase {
    private static final int SITES = 5;
    private static final Duration IDLE = Duration.ofSeconds(10);

    @Test
    void queuesOfIdleSitesAreReapedAndComeBackForNewMail() throws Exception {
        sink = SmtpSink.builder().start();
        AtomicReference<SmtpDispatch> smtp = new AtomicReference<>();
        DispatchFactory quickReap = (s, listener) -> {
            smtp.set(new SmtpDispatch(s.connector(), s.loops(), s.hostname(), listener, s.registry(),
                    new DispatchSettings(1024, Duration.ofSeconds(5), IDLE), s.policy().throttles()));
            return new ProtocolDispatch(smtp.get(),
                    new LuaDispatch(s.policy(), listener, LuaDispatch.defaultConcurrency(s.policy())));
        };
        var policy = MtaFixture.policy(dir, sink.port(), "reap_interval = '" + IDLE.toSeconds() + "s',", "");
        // one site per domain: the MX is named after the domain
        Files.writeString(policy, Files.readString(policy)
                .replace("mx_list = { '127.0.0.1:" + sink.port() + "' }",
                        "mx_list = { { name = 'mx.' .. domain, addr = '127.0.0.1:" + sink.port() + "' } }")
                .replace("enable_tls = 'Disabled'", "enable_tls = 'Disabled', max_deliveries_per_connection = 1"));
        app = MtaApp.start(MtaApp.Options.of(policy).withDefaultSpool(dir.resolve("default-spool")).withDispatch(quickReap));

        for (int i = 0; i < SITES; i++) {
            MtaFixture.sendAccepted(app, "rcpt@site" + i + ".test", "message " + i);
        }
        sink.awaitMessages(SITES, WAIT);
        // within the idle period: a scheduled and a ready queue per site, with its series
        assertThat(app.queues().queueCount()).isEqualTo(SITES);
        assertThat(smtp.get().queues()).hasSize(SITES);
        assertThat(queueSeries()).as("series per ready queue while they are there").isPositive();
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == SITES);

        await().atMost(WAIT).until(() -> smtp.get().queues().isEmpty() && app.queues().queueCount() == 0);
        assertThat(queueSeries()).isZero();

        MtaFixture.sendAccepted(app, "again@site2.test", "again");
        sink.awaitMessages(SITES + 1, WAIT);
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == SITES + 1);
        assertThat(records(dir, RecordType.Delivery)).filteredOn(r -> r.recipient().equals(java.util.List.of("again@site2.test")))
                .hasSize(1);
        await().atMost(WAIT).until(() -> smtp.get().queues().isEmpty() && app.queues().queueCount() == 0);
    }

    /** Metric series labelled with one ready queue ({@code service="smtp_client:<source>-><site>"}). */
    private long queueSeries() {
        return app.registry().scrape().stream().flatMap(m -> m.getDataPoints().stream())
                .map(p -> p.getLabels().get("service"))
                .filter(s -> s != null && s.startsWith("smtp_client:")).count();
    }
}
