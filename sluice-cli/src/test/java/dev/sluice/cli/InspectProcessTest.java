package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.sluice.cli.AdminProcessTest.hostPort;
import static dev.sluice.cli.AdminProcessTest.ok;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kcli's inspection verbs ({@code bin/sluice inspect-message}, {@code inspect-sched-q}, {@code inspect-ready-q},
 * {@code ready-q-states}, {@code provider-summary}) against {@code bin/sluice mta}, whose only destination refuses
 * connections, so that injected messages stay queued.
 */
class InspectProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    @Test
    void inspectionVerbsAgainstARunningMta() throws Exception {
        int deadPort = FreePorts.tcp();
        Path policy = MtaTestPolicy.of(dir, deadPort).httpListener().queue("retry_interval = '1h',").write();
        // the shaping's provider for this site: provider-summary groups under it
        Files.writeString(policy, Files.readString(policy).replace("enable_tls = 'Disabled'",
                "enable_tls = 'Disabled', provider_name = 'Acme Mail'"));
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String esmtp = hostPort(mta.listener("esmtp").orElseThrow());
        String endpoint = "http://" + hostPort(mta.listener("http").orElseThrow());
        String readyQueue = "unspecified->mx_list:127.0.0.1:" + deadPort + "@smtp_client";

        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "a@slow.test", "--count", "2",
                "--subject", "look inside");
        await().atMost(WAIT).until(() -> {
            ToolResult r = SluiceCommand.inProcess("inspect-sched-q", "--endpoint", endpoint, "slow.test", "--json");
            return r.exitCode() == 0 && JSON.readTree(r.stdout()).path("num_scheduled").asInt() == 2
                    && JSON.readTree(r.stdout()).path("messages").get(0).path("message").path("num_attempts").asInt() == 1;
        });

        ToolResult sched = ok("inspect-sched-q", "--endpoint", endpoint, "slow.test", "--limit", "1");
        assertThat(sched.stdout()).contains("queue slow.test: 2 scheduled").contains("retry_interval = 1h")
                .containsPattern("ID\\s+RECIPIENT\\s+ATTEMPTS\\s+DUE")
                .containsPattern("[0-9a-f]{32}\\s+a@slow\\.test\\s+1\\s+\\S+Z");
        assertThat(sched.stdout().lines().filter(l -> l.contains("a@slow.test"))).hasSize(1);
        String id = JSON.readTree(ok("inspect-sched-q", "--endpoint", endpoint, "slow.test", "--json").stdout())
                .path("messages").get(0).path("id").asText();

        ToolResult message = ok("inspect-message", "--endpoint", endpoint, id, "--want-body");
        assertThat(message.stdout()).containsPattern("id\\s+" + id).containsPattern("sender\\s+s@example\\.test")
                .containsPattern("recipient\\s+a@slow\\.test").containsPattern("attempts\\s+1")
                .contains("Subject: look inside");
        JsonNode json = JSON.readTree(ok("inspect-message", "--endpoint", endpoint, id, "--json").stdout());
        assertThat(json.path("message").path("sender").asText()).isEqualTo("s@example.test");
        assertThat(json.path("message").has("data")).isFalse();
        ToolResult unknown = SluiceCommand.run("inspect-message", "--endpoint", endpoint,
                "0123456789abcdef0123456789abcdef");
        assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("answered 404").contains("not queued");

        assertThat(ok("ready-q-states", "--endpoint", endpoint).stdout())
                .containsPattern("READY QUEUE\\s+PROVIDER\\s+Q\\s+C\\s+SUSPENDED")
                .containsPattern(Pattern.quote(readyQueue) + "\\s+Acme Mail\\s+0\\s+0\\s+-");
        ok("suspend-ready-q", "--endpoint", endpoint, "--name", readyQueue, "--reason", "looking into it");
        assertThat(ok("inspect-ready-q", "--endpoint", endpoint, readyQueue, "--config").stdout())
                .containsPattern("source\\s+unspecified").containsPattern("provider\\s+Acme Mail")
                .containsPattern("suspended\\s+looking into it").containsPattern("config\\.connection_limit\\s+\\d+");
        // the two refused attempts count as transient failures (T) of the provider
        assertThat(ok("provider-summary", "--endpoint", endpoint).stdout())
                .containsPattern("PROVIDER\\s+D\\s+T\\s+F\\s+C\\s+Q")
                .containsPattern("Acme Mail\\s+0\\s+2\\s+0\\s+0\\s+0");
        assertThat(ok("provider-summary", "--endpoint", endpoint, "--by-pool").stdout())
                .containsPattern("Acme Mail\\s+unspecified\\s+0\\s+2\\s+0\\s+0\\s+0");
        ToolResult noQueue = SluiceCommand.run("inspect-ready-q", "--endpoint", endpoint, "nosuch");
        assertThat(noQueue.exitCode()).isEqualTo(1);

        assertThat(mta.lines()).noneMatch(l -> l.contains(" DEBUG "));
        assertThat(ok("set-log-filter", "--endpoint", endpoint, "kumod=debug").stdout().strip())
                .isEqualTo("diagnostic log filter: kumod=debug");
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "b@slow.test");
        mta.awaitLine(" DEBUG ", WAIT);
        ToolResult bad = SluiceCommand.run("set-log-filter", "--endpoint", endpoint, "kumod=loud");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("answered 400").contains("unknown level 'loud'");

        ToolResult noCriteria = SluiceCommand.run("rebind", "--endpoint", endpoint, "--reason", "r", "--set", "a=b");
        assertThat(noCriteria.exitCode()).isEqualTo(2);
        assertThat(noCriteria.stderr()).contains("--everything");
        await().atMost(WAIT).until(() -> JSON.readTree(ok("inspect-sched-q", "--endpoint", endpoint, "slow.test",
                "--json").stdout()).path("num_scheduled").asInt() == 3);
        assertThat(ok("rebind", "--endpoint", endpoint, "--domain", "slow.test", "--reason", "tag them",
                "--data", "{\"campaign\": \"spring\"}", "--set", "tenant=acme").stdout().strip())
                .isEqualTo("rebound 3 message(s)");
        AtomicReference<JsonNode> movedRef = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            movedRef.set(JSON.readTree(ok("inspect-sched-q", "--endpoint", endpoint, "spring:acme@slow.test",
                    "--json").stdout()));
            return movedRef.get().path("num_scheduled").asInt() == 3;
        });
        JsonNode moved = movedRef.get();
        assertThat(moved.path("messages").get(0).path("message").path("meta").path("campaign").asText())
                .isEqualTo("spring");
    }
}
