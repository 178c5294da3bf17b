package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/sluice mta} as a process: swaks → mta → smtp-sink, SIGTERM exits 0, a restart delivers the spool. */
class MtaProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private Path policy(int sinkPort) throws IOException {
        return MtaTestPolicy.of(dir, sinkPort).flush(true).httpListener()
                .queue("retry_interval = '2s', max_retry_interval = '2s',").write();
    }

    private SluiceProcess mta(Path policy) {
        return MtaTestPolicy.start(peers, dir, policy);
    }

    private static ToolResult swaks(SluiceProcess mta, String testId) {
        InetSocketAddress a = mta.listener("esmtp").orElseThrow();
        return CommandTool.SWAKS.run("--server", a.getAddress().getHostAddress() + ":" + a.getPort(),
                "--from", "sender@example.test", "--to", "rcpt@example.test", "--header", "X-Test-Id: " + testId);
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }

    @Test
    void deliversAndExitsZeroOnSigterm() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        SluiceProcess mta = mta(policy(sink.port()));
        assertThat(mta.listener("http")).isPresent();

        ToolResult r = swaks(mta, "process-1");

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("process-1");
        mta.terminate();
        assertThat(mta.awaitExit(WAIT)).isZero();
        assertThat(records(RecordType.Reception)).hasSize(1);
        assertThat(records(RecordType.Delivery)).hasSize(1);
        assertThat(records(RecordType.Delivery).getFirst().sourceAddress().address()).startsWith("127.0.0.1:");
    }

    @Test
    void restartDeliversWhatWasSpooledWhileTheSinkWasDown() throws Exception {
        int port = FreePorts.tcp();
        Path policy = policy(port);
        SluiceProcess first = mta(policy);
        assertThat(swaks(first, "spooled-1").ok()).isTrue();
        await().atMost(WAIT).until(() -> !records(RecordType.TransientFailure).isEmpty());
        first.terminate();
        assertThat(first.awaitExit(WAIT)).isZero();
        assertThat(records(RecordType.Delivery)).isEmpty();

        SmtpSink sink = peers.add(SmtpSink.builder().port(port).start());
        SluiceProcess second = mta(policy);
        // delivered at the persisted retry time, about 2 s after the first attempt

        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Test-Id")).contains("spooled-1");
        second.awaitLine("re-queued 1 spooled message\\(s\\)", Duration.ofMinutes(1)); // the spool is walked in the background
    }
}
