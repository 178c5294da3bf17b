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
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A message that finds its ready queue full goes back to the scheduled queue for a moment, as in KumoMTA: it is not
 * an attempt, so it gets no TransientFailure record and its attempt count does not grow. (A backlog falling due at
 * once used to churn through max_ready as failures, each logged and written to the spool.)
 */
class ReadyQueueFullTest extends MtaAppTestBase {

    @Test
    void aFullReadyQueueIsNotAnAttemptAndEveryMessageIsDeliveredOnce() throws Exception {
        sink = SmtpSink.builder().dataDelay(3).start();
        DispatchFactory oneReady = (s, listener) -> new ProtocolDispatch(
                new SmtpDispatch(s.connector(), s.loops(), s.hostname(), listener, s.registry(),
                        new DispatchSettings(1, Duration.ofMillis(200))),
                new LuaDispatch(s.policy(), listener, LuaDispatch.defaultConcurrency(s.policy())));
        var policy = MtaFixture.policy(dir, sink.port(), "retry_interval = '1h',", "");
        java.nio.file.Files.writeString(policy, java.nio.file.Files.readString(policy)
                .replace("enable_tls = 'Disabled'", "enable_tls = 'Disabled', connection_limit = 1"));
        app = MtaApp.start(MtaApp.Options.of(policy).withDefaultSpool(dir.resolve("default-spool"))
                .withDispatch(oneReady));

        for (int i = 0; i < 4; i++) {
            MtaFixture.sendAccepted(app, "rcpt" + i + "@example.test", "message " + i);
        }
        // one on the connection, one waiting, the others found the queue full: back within a minute, not an hour
        sink.awaitMessages(4, Duration.ofMinutes(3));
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 4);
        assertThat(records(dir, RecordType.TransientFailure)).isEmpty();
        assertThat(records(dir, RecordType.Delivery)).allSatisfy(r -> assertThat(r.numAttempts()).isEqualTo(1));
        assertThat(sink.messages()).hasSize(4);
        double full = app.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals("ready_full"))
                .flatMap(m -> m.getDataPoints().stream())
                .mapToDouble(p -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) p)
                        .getValue()).sum();
        assertThat(full).as("messages that found the ready queue full").isPositive();
    }
}
