package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kcli's bounce and suspend verbs ({@code bin/sluice bounce}, {@code bounce-list}, … {@code suspend-ready-q-cancel})
 * against {@code bin/sluice mta}, with messages injected by {@code bin/sluice inject} and a real sink
 * (Postfix's smtp-sink) started late.
 */
class AdminProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /**
     * {@code sluice args} in this JVM ({@link SluiceCommand#inProcess}: these verbs are HTTP or SMTP clients of the
     * running MTA, which is the process under test), which must exit 0; shared with {@link InspectProcessTest},
     * {@link OpsProcessTest}, {@link LiveProcessTest} and {@link ReloadProcessTest}. Each of those classes keeps
     * calls through {@code bin/sluice} itself ({@link SluiceCommand#run}).
     */
    static ToolResult ok(String... args) {
        ToolResult r = SluiceCommand.inProcess(args);
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r;
    }

    /** The id in "bounce ID: …" / "suspension ID: …". */
    private static String id(ToolResult r) {
        return r.stdout().strip().split("[ :]")[1];
    }

    @Test
    void everyVerbAgainstARunningMta() throws Exception {
        int sinkPort = FreePorts.tcp();
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener()
                .queue("retry_interval = '2s', max_retry_interval = '2s',").write();
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String esmtp = hostPort(mta.listener("esmtp").orElseThrow());
        String endpoint = "http://" + hostPort(mta.listener("http").orElseThrow());
        String readyQueue = "unspecified->mx_list:127.0.0.1:" + sinkPort;

        ToolResult suspend = ok("suspend", "--endpoint", endpoint, "--domain", "held.test", "--reason", "maintenance",
                "--duration", "1h");
        assertThat(suspend.stdout()).matches("(?s)suspension [0-9a-f-]{36}: matching scheduled queues hold .*for 1h\\s*");
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "a@held.test", "--count", "2");
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "b@gone.test", "--count", "2");
        ToolResult bounce = ok("bounce", "--endpoint", endpoint, "--domain", "gone.test", "--reason", "bad send",
                "--duration", "30m");
        ToolResult readySuspend = ok("suspend-ready-q", "--endpoint", endpoint, "--name", readyQueue,
                "--reason", "slow down", "--json");
        String readyId = JSON.readTree(readySuspend.stdout()).path("id").asText();

        AtomicReference<ToolResult> list = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            list.set(SluiceCommand.inProcess("bounce-list", "--endpoint", endpoint));
            return list.get().stdout().lines().anyMatch(l -> l.matches(id(bounce) + "\\s+gone\\.test\\s+-\\s+-\\s+-\\s+-"
                    + "\\s+\\d+m( \\d+s)?\\s+2\\s+bad send"));
        });
        assertThat(list.get().stdout().lines().findFirst().orElseThrow())
                .matches("ID\\s+DOMAIN\\s+CAMPAIGN\\s+TENANT\\s+ROUTING DOMAIN\\s+QUEUES\\s+LEFT\\s+BOUNCED\\s+REASON");
        JsonNode bounces = JSON.readTree(ok("bounce-list", "--endpoint", endpoint, "--json").stdout());
        assertThat(bounces.get(0).path("bounced").path("gone.test").asInt()).isEqualTo(2);
        assertThat(ok("suspend-list", "--endpoint", endpoint).stdout())
                .containsPattern(id(suspend) + "\\s+held\\.test\\s+-\\s+-\\s+-\\s+(\\d+m \\d+s|1h)\\s+maintenance");
        assertThat(ok("suspend-ready-q-list", "--endpoint", endpoint).stdout())
                .containsPattern(readyId + "\\s+" + java.util.regex.Pattern.quote(readyQueue) + "\\s+(\\d+m )?\\d+s\\s+\\S+Z\\s+slow down");
        assertThat(ok("queue", "--http", endpoint.substring("http://".length())).stdout())
                .containsPattern("held\\.test\\s+2\\s+maintenance")
                .containsPattern(java.util.regex.Pattern.quote(readyQueue + "@smtp_client") + "\\s+0\\s+\\d+\\s+slow down");

        ToolResult everything = SluiceCommand.run("bounce", "--endpoint", endpoint, "--reason", "oops");
        assertThat(everything.exitCode()).as(everything.describe()).isEqualTo(2);
        assertThat(everything.stderr()).contains("--everything");
        ToolResult unknown = SluiceCommand.run("bounce-cancel", "--endpoint", endpoint, "--id", UUID.randomUUID().toString());
        assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("answered 404");
        ToolResult down = SluiceCommand.run("suspend-list", "--endpoint", "127.0.0.1:" + FreePorts.tcp());
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.stderr()).contains("cannot reach the MTA");

        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());
        assertThat(ok("suspend-cancel", "--endpoint", endpoint, "--id", id(suspend)).stdout())
                .contains("cancelled " + id(suspend));
        Thread.sleep(3_000); // longer than the retry interval: the ready queue is still suspended
        assertThat(sink.messages()).isEmpty();
        ok("suspend-ready-q-cancel", "--endpoint", endpoint, "--id", readyId);
        assertThat(sink.awaitMessages(2, WAIT)).allSatisfy(m -> assertThat(m.rcptTo().getFirst()).contains("a@held.test"));
        ok("bounce-cancel", "--endpoint", endpoint, "--id", id(bounce));
        assertThat(ok("bounce-list", "--endpoint", endpoint).stdout().strip()).isEqualTo("none");
        assertThat(ok("suspend-list", "--endpoint", endpoint, "--json").stdout().strip()).isEqualTo("[]");
    }
}
