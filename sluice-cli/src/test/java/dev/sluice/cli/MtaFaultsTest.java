package dev.sluice.cli;

import static dev.sluice.cli.MtaRoutesTest.hostPort;
import static dev.sluice.cli.MtaRoutesTest.swaks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults around {@code bin/sluice mta}: the destination or the proxy goes away, or the policy fails
 * at reception. A message is deferred with the reason in the log and delivered once the fault is gone;
 * nothing acknowledged is dropped.
 */
class MtaFaultsTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** Retries every 1-2 s so a repaired fault shows within seconds. */
    private Path policy(String sourceFields, int sinkPort, String events) throws IOException {
        return MtaTestPolicy.of(dir, sinkPort).flush(true).source(sourceFields)
                .queue("retry_interval = '1s', max_retry_interval = '2s',").events(events).write();
    }

    private SluiceProcess mta(Path policy) {
        return MtaTestPolicy.start(peers, dir, policy);
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }

    /** smtp-sink -q: hang up without a reply after DATA, or after the final dot (the content was sent). */
    @ParameterizedTest(name = "hangs up after {0}")
    @ValueSource(strings = {"data", "."})
    void sinkThatHangsUpMidTransactionDefersAndTheMessageArrivesOnceASinkIsBack(String command) throws Exception {
        int port = FreePorts.tcp();
        SmtpSink rude = peers.add(SmtpSink.builder().port(port).disconnectAfter(command).start());
        SluiceProcess mta = mta(policy("source_address = '127.0.0.1'", port, ""));

        ToolResult r = swaks(mta, "hangup-1");
        assertThat(r.ok()).as(r.describe()).isTrue();
        await().atMost(WAIT).until(() -> !records(RecordType.TransientFailure).isEmpty());
        if (command.equals("data")) assertThat(rude.messages()).isEmpty();
        rude.stop(); // after the dot it may have kept a copy: the MTA had no 250, so a retry is right

        SmtpSink sink = peers.add(SmtpSink.builder().port(port).start());
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("hangup-1");
        await().atMost(WAIT).until(() -> records(RecordType.Delivery).size() == 1);
        LogRecord delivery = records(RecordType.Delivery).getFirst();
        assertThat(delivery.numAttempts()).isGreaterThanOrEqualTo(2);
        assertThat(records(RecordType.TransientFailure)).allSatisfy(t -> assertThat(t.id()).isEqualTo(delivery.id()));
    }

    @Test
    void proxyThatGoesAwayDefersWithProxyConnectionIssuesAndDeliversWhenItReturns() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        SluiceProcess proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
        String server = hostPort(proxy.proxyListener());
        SluiceProcess mta = mta(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(server), sink.port(), ""));
        assertThat(swaks(mta, "before").ok()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT).getFirst().clientAddr()).isEqualTo("127.0.0.7");

        proxy.stop();
        ToolResult r = swaks(mta, "while-down");
        assertThat(r.ok()).as(r.describe()).isTrue();
        await().atMost(WAIT).until(() -> !records(RecordType.TransientFailure).isEmpty());
        assertThat(records(RecordType.TransientFailure).getFirst().response().content())
                .contains("proxy connection issues");
        assertThat(sink.messages()).hasSize(1);

        peers.add(SluiceProcess.start("proxy", "--listen", server, "--allow-destination", "127.0.0.0/8"));
        var messages = sink.awaitMessages(2, WAIT);
        assertThat(messages.getLast().header("X-Test-Id")).contains("while-down");
        assertThat(messages.getLast().clientAddr()).isEqualTo("127.0.0.7");
    }

    @Test
    void policyErrorAtReceptionAnswers451AndLogsTheErrorThenLaterMailFlows() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        SluiceProcess mta = mta(policy("source_address = '127.0.0.1'", sink.port(), """
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  if msg:get_first_named_header_value('X-Test-Id') == 'broken' then error('tenant lookup failed') end
                end)
                """));

        ToolResult broken = swaks(mta, "broken");
        // not acknowledged, so the client still owns it: a 451 is a deferral, not a drop
        assertThat(broken.ok()).isFalse();
        assertThat(broken.stdout()).contains("451").contains("tenant lookup failed");
        await().atMost(WAIT).until(() -> !records(RecordType.Rejection).isEmpty());
        assertThat(records(RecordType.Rejection).getFirst().response().content()).contains("tenant lookup failed");

        assertThat(swaks(mta, "fine").ok()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("fine");
        assertThat(mta.isAlive()).isTrue();
    }
}
