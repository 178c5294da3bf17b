package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.DumpedMessage;
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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/sluice inject} into {@code bin/sluice mta}, {@code bin/sluice queue} while the sink is down, then delivery. */
class InjectQueueProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private Path policy(int sinkPort) throws IOException {
        return MtaTestPolicy.of(dir, sinkPort).httpListener()
                .queue("retry_interval = '3s', max_retry_interval = '3s',").write();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void injectedMessagesWaitInTheQueueWhileTheSinkIsDownThenArrive() throws Exception {
        int sinkPort = FreePorts.tcp();
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta", "--policy", policy(sinkPort).toString())
                .workDir(dir).start());
        String esmtp = hostPort(mta.listener("esmtp").orElseThrow());
        String http = hostPort(mta.listener("http").orElseThrow());

        ToolResult inject = SluiceCommand.run("inject", "--server", esmtp, "--from", "sender@example.test",
                "--to", "rcpt@example.test", "--count", "2", "--subject", "queued", "--header", "X-Test-Id: inject-q");

        assertThat(inject.exitCode()).as(inject.describe()).isZero();
        assertThat(inject.stdout()).containsPattern("message 1: 250 2\\.0\\.0 OK")
                .containsPattern("message 2: 250 2\\.0\\.0 OK");

        AtomicReference<ToolResult> queue = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            queue.set(SluiceCommand.inProcess("queue", "--http", http));
            return queue.get().exitCode() == 0 && queue.get().stdout().lines()
                    .anyMatch(l -> l.matches("example\\.test\\s+2"));
        });
        List<String> lines = queue.get().stdout().lines().toList();
        assertThat(lines.getFirst()).matches("SCHEDULED QUEUE\\s+MESSAGES");
        assertThat(lines).anyMatch(l -> l.matches("READY QUEUE\\s+WAITING\\s+CONNECTIONS"));

        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());

        List<DumpedMessage> got = sink.awaitMessages(2, WAIT);
        assertThat(got).allSatisfy(m -> {
            assertThat(m.header("X-Test-Id")).contains("inject-q");
            assertThat(m.rcptTo()).singleElement().asString().contains("rcpt@example.test");
        });
        assertThat(got).extracting(m -> m.header("Subject").orElseThrow())
                .containsExactlyInAnyOrder("queued (1/2)", "queued (2/2)");
        await().atMost(WAIT).until(() -> SluiceCommand.inProcess("queue", "--http", http).stdout().lines()
                .noneMatch(l -> l.startsWith("example.test")));
    }

    @Test
    void queueSaysWhenTheMtaIsNotReachable() {
        String nobody = "127.0.0.1:" + FreePorts.tcp();

        ToolResult r = SluiceCommand.run("queue", "--http", nobody);

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).contains("cannot reach the MTA at " + nobody);
    }

    @Test
    void injectExitsOneWhenTheServerIsNotReachableOrRefuses() {
        ToolResult down = SluiceCommand.run("inject", "--server", "127.0.0.1:" + FreePorts.tcp(),
                "--from", "a@example.test", "--to", "b@example.test");
        assertThat(down.exitCode()).as(down.describe()).isEqualTo(1);
        assertThat(down.stderr()).contains("cannot send to 127.0.0.1:");

        SmtpSink refusing = peers.add(SmtpSink.builder().hardReject("RCPT").start());
        ToolResult refused = SluiceCommand.run("inject", "--server", "127.0.0.1:" + refusing.port(),
                "--from", "a@example.test", "--to", "b@example.test");
        assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
        assertThat(refused.stdout()).containsPattern("message 1: 5\\d\\d ");
    }
}
