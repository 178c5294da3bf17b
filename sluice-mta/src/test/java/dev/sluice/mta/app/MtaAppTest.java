package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.HeldForward;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** swaks → in-JVM MtaApp → smtp-sink, asserting from the sink's dump, the spool and the JSON logs. */
class MtaAppTest extends MtaAppTestBase {
    private ToolResult swaks(String to, String testId) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", to, "--helo", "client.test", "--header", "X-Test-Id: " + testId);
    }

    @Test
    void acceptedMessageIsSpooledLoggedAndDelivered() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", ""));

        ToolResult r = swaks("rcpt@example.test", "deliver-1");

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.stdout()).contains(" -> .\n<-  250 2.0.0 OK ids=");
        List<DumpedMessage> got = sink.awaitMessages(1, WAIT);
        assertThat(got.getFirst().header("X-Test-Id")).contains("deliver-1");
        assertThat(got.getFirst().rcptTo().getFirst()).contains("rcpt@example.test");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        LogRecord reception = records(dir, RecordType.Reception).getFirst();
        LogRecord delivery = records(dir, RecordType.Delivery).getFirst();
        assertThat(reception.id()).isEqualTo(delivery.id());
        assertThat(r.stdout()).contains("ids=" + reception.id());
        assertThat(reception.queue()).isEqualTo("example.test");
        assertThat(reception.receptionProtocol()).isEqualTo("ESMTP");
        assertThat(reception.peerAddress().addr()).isEqualTo("127.0.0.1");
        assertThat(delivery.sourceAddress().address()).startsWith("127.0.0.1:");
        assertThat(delivery.sourceAddress().protocol()).isNull();
        assertThat(delivery.response().code()).isEqualTo(250);
        assertThat(delivery.numAttempts()).isEqualTo(1);
        assertThat(delivery.egressSource()).isEqualTo("unspecified");
        assertThat(delivery.headers()).containsKey("X-Test-Id");
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void recipientsOfOneTransactionLeaveInOneTransactionWithARecordEach() throws Exception {
        sink = SmtpSink.start();
        // the connection to the sink is held before its greeting until all three messages are in dispatch: however
        // loaded the machine, the first transaction cannot leave before its companions are waiting
        try (HeldForward held = HeldForward.to(new InetSocketAddress("127.0.0.1", sink.port()))) {
            app = MtaFixture.start(MtaFixture.policy(dir, held.port(), "", ""));

            ToolResult r = swaks("a@example.test,b@example.test,c@example.test", "batch-1");

            assertThat(r.ok()).as(r.describe()).isTrue();
            await().atMost(WAIT).until(() -> app.queues().inFlight() == 3);
            held.release();
            await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 3);
        }
        List<DumpedMessage> got = sink.messages();
        assertThat(got).as("one transaction").hasSize(1);
        assertThat(got.getFirst().rcptTo()).hasSize(3);
        List<LogRecord> deliveries = records(dir, RecordType.Delivery);
        assertThat(deliveries).extracting(d -> d.recipient().getFirst())
                .containsExactlyInAnyOrder("a@example.test", "b@example.test", "c@example.test");
        assertThat(deliveries).extracting(LogRecord::id).doesNotHaveDuplicates();
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void transientFailureIsRetriedUntilDelivered() throws Exception {
        int port = FreePorts.tcp();
        sink = SmtpSink.builder().port(port).softReject("RCPT").start();
        app = MtaFixture.start(MtaFixture.policy(dir, port, "retry_interval = '1s',", ""));

        assertThat(swaks("rcpt@example.test", "retry-1").ok()).isTrue();
        await().atMost(WAIT).until(() -> !records(dir, RecordType.TransientFailure).isEmpty());
        LogRecord failure = records(dir, RecordType.TransientFailure).getFirst();
        assertThat(failure.response().code()).isBetween(400, 499);
        assertThat(app.spool().count()).isEqualTo(1);
        sink.close();
        sink = SmtpSink.builder().port(port).start();

        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("retry-1");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        assertThat(records(dir, RecordType.Delivery).getFirst().numAttempts()).isGreaterThanOrEqualTo(2);
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void permanentFailureBounces() throws Exception {
        sink = SmtpSink.builder().hardReject("RCPT").start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "retry_interval = '1s',", ""));

        assertThat(swaks("rcpt@example.test", "bounce-1").ok()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1);
        LogRecord bounce = records(dir, RecordType.Bounce).getFirst();
        assertThat(bounce.response().code()).isBetween(500, 599);
        assertThat(bounce.firstRecipient()).isEqualTo("rcpt@example.test");
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        assertThat(records(dir, RecordType.Delivery)).isEmpty();
    }

    @Test
    void undeliverableMessageExpiresAtMaxAge() throws Exception {
        int nobody = FreePorts.tcp(); // nothing listens there
        app = MtaFixture.start(MtaFixture.policy(dir, nobody, "retry_interval = '1s', max_age = '3s',", ""));

        assertThat(swaks("rcpt@example.test", "expire-1").ok()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Expiration).size() == 1);
        assertThat(records(dir, RecordType.TransientFailure)).isNotEmpty();
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void nullQueueDiscardsAtReception() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  if msg:recipient().email == 'discard@example.test' then msg:set_meta('queue', 'null') end
                end)
                """));

        ToolResult r = swaks("discard@example.test", "null-1");
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(swaks("keep@example.test", "keep-1").ok()).isTrue();

        // the kept message is delivered; the discarded one never reaches the spool, the logs or the sink
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("keep-1");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        assertThat(records(dir, RecordType.Reception)).extracting(LogRecord::firstRecipient)
                .containsExactly("keep@example.test");
        assertThat(sink.messages()).hasSize(1);
    }

    @Test
    void policyErrorDefersWith451AndIsLogged() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  msg:set_meta('tenant', 'acme')
                  if msg:recipient().email == 'broken@example.test' then error('tenant lookup failed') end
                end)
                """));

        ToolResult r = swaks("broken@example.test", "error-1");

        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).contains("451").contains("tenant lookup failed");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Rejection).size() == 1);
        assertThat(records(dir, RecordType.Rejection).getFirst().response().content()).contains("tenant lookup failed");
        assertThat(app.spool().count()).isZero();
        // a good message still goes through, in the tenant's queue
        assertThat(swaks("fine@example.test", "error-2").ok()).isTrue();
        sink.awaitMessages(1, WAIT);
        // the log writer flushes shortly after the fact: wait for the record rather than race it
        await().atMost(WAIT).until(() -> !records(dir, RecordType.Reception).isEmpty());
        assertThat(records(dir, RecordType.Reception).getFirst().queue()).isEqualTo("acme@example.test");
    }

    /** First run with the sink down: the message is deferred once; returns its TransientFailure record. */
    private LogRecord deferredOnceThenShutDown(Path policy, String testId) throws Exception {
        app = MtaFixture.start(policy);
        assertThat(swaks("rcpt@example.test", testId).ok()).isTrue();
        await().atMost(WAIT).until(() -> !records(dir, RecordType.TransientFailure).isEmpty());
        assertThat(app.spool().count()).isEqualTo(1);
        app.shutdown(Duration.ofSeconds(5));
        return records(dir, RecordType.TransientFailure).getFirst();
    }

    @Test
    void restartDeliversWhatTheSpoolHeldAtItsPersistedRetryTime() throws Exception {
        int port = FreePorts.tcp(); // the sink is down at first
        Path policy = MtaFixture.policy(dir, port, "retry_interval = '6s',", "");
        LogRecord deferred = deferredOnceThenShutDown(policy, "restart-1");

        sink = SmtpSink.builder().port(port).start();
        app = MtaFixture.start(policy);

        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("restart-1");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        LogRecord delivery = records(dir, RecordType.Delivery).getFirst();
        assertThat(delivery.numAttempts()).isEqualTo(2);
        // the retry was due 6 s (less 10 % jitter) after the failure: a restart neither forgets nor hurries it
        assertThat(Duration.between(deferred.eventTime(), delivery.eventTime()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(5000));
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void aLoweredRetryIntervalAppliesToWhatTheSpoolHeldAfterRestart() throws Exception {
        int port = FreePorts.tcp();
        deferredOnceThenShutDown(MtaFixture.policy(dir, port, "retry_interval = '1h',", ""), "restart-2");

        sink = SmtpSink.builder().port(port).start();
        app = MtaFixture.start(MtaFixture.policy(dir, port, "retry_interval = '1s',", ""));

        // persisted due an hour away, but the queue now retries after a second
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("restart-2");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        assertThat(records(dir, RecordType.Delivery).getFirst().numAttempts()).isEqualTo(2);
    }

    @Test
    void maxMessageRatePacesDeliveriesOfAQueue() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "max_message_rate = '2/s',", ""));
        var recipients = String.join(",", java.util.stream.IntStream.range(0, 6)
                .mapToObj(i -> "r" + i + "@example.test").toList());

        assertThat(swaks(recipients, "rate-1").ok()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 6);
        assertThat(sink.messages().stream().mapToInt(m -> m.rcptTo().size()).sum()).isEqualTo(6);
        List<java.time.Instant> times = records(dir, RecordType.Delivery).stream().map(LogRecord::eventTime)
                .sorted().toList();
        // a burst of 2, then one every 500 ms: the sixth leaves the queue about 2 s after reception (measured
        // from reception: the first delivery also waits for its connection, which would shorten the spread)
        var received = records(dir, RecordType.Reception).stream().map(LogRecord::eventTime).sorted().toList();
        assertThat(Duration.between(received.getFirst(), times.getLast())).isGreaterThan(Duration.ofMillis(1700));
    }
}
