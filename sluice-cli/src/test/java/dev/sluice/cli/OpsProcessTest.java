package dev.sluice.cli;

import static dev.sluice.cli.AdminProcessTest.hostPort;
import static dev.sluice.cli.AdminProcessTest.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kcli's operations verbs against running {@code bin/sluice mta} processes: {@code xfer} and {@code xfer-cancel}
 * between two MTAs and to a target that refuses and then dies midway, {@code resolve-egress-path}, and
 * {@code provider-summary}'s delivered column.
 */
class OpsProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** An MTA whose only destination refuses connections, so that what it receives stays queued. */
    private SluiceProcess holdingMta(String name) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path policy = d.resolve("policy.lua");
        if (!Files.exists(policy)) { // a restart keeps its policy, spool and logs
            MtaTestPolicy.of(d, FreePorts.tcp()).httpListener().queue("retry_interval = '1h',").write();
        }
        return MtaTestPolicy.start(peers, d, policy);
    }

    private static int scheduled(String endpoint, String queue) throws Exception {
        ToolResult r = SluiceCommand.inProcess("inspect-sched-q", "--endpoint", endpoint, queue, "--json", "--no-limit");
        return r.exitCode() == 0 ? JSON.readTree(r.stdout()).path("num_scheduled").asInt() : -1;
    }

    private static String endpoint(SluiceProcess mta) {
        return "http://" + hostPort(mta.listener("http").orElseThrow());
    }

    @Test
    void xferMovesMatchingMessagesToAnotherMta() throws Exception {
        SluiceProcess a = holdingMta("a");
        SluiceProcess b = holdingMta("b");
        String ea = endpoint(a);
        String eb = endpoint(b);
        String esmtp = hostPort(a.listener("esmtp").orElseThrow());
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "a@slow.test", "--count", "3",
                "--subject", "moving house");
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "k@keep.test");
        await().atMost(WAIT).until(() -> scheduled(ea, "slow.test") == 3 && scheduled(ea, "keep.test") == 1);

        ToolResult usage = SluiceCommand.run("xfer", "--endpoint", ea, "--target", eb, "--reason", "r");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.stderr()).contains("--everything");
        ToolResult badTarget = SluiceCommand.run("xfer", "--endpoint", ea, "--target", "ftp://x", "--reason", "r",
                "--everything");
        assertThat(badTarget.exitCode()).isEqualTo(1);
        assertThat(badTarget.stderr()).contains("answered 400").contains("not an http:// or https:// URL");

        assertThat(ok("xfer", "--endpoint", ea, "--domain", "slow.test", "--target", eb, "--reason", "scale down")
                .stdout()).contains("transfer to " + eb + " started");

        await().atMost(WAIT).until(() -> scheduled(eb, "slow.test") == 3);
        await().atMost(WAIT).until(() -> scheduled(ea, "slow.test") == 0
                && scheduled(ea, eb + "/.xfer.kumomta.internal") == 0);
        assertThat(scheduled(ea, "keep.test")).as("a queue that did not match stays").isEqualTo(1);
        assertThat(scheduled(eb, "keep.test")).isZero();
        // the message arrives with its data, its first node's attempts, and where it came from
        JsonNode moved = JSON.readTree(ok("inspect-sched-q", "--endpoint", eb, "slow.test", "--json",
                "--want-body").stdout()).path("messages").get(0).path("message");
        assertThat(moved.path("data").asText()).contains("Subject: moving house");
        assertThat(moved.path("num_attempts").asInt()).isEqualTo(1);
        assertThat(moved.path("meta").path("xfer_from").asText()).startsWith("127.0.0.1:");
        assertThat(moved.path("meta").path("xfer_prior_id").asText()).matches("[0-9a-f]{32}");
        assertThat(moved.path("meta").has("xfer_queue_info")).isFalse();
        a.awaitLine("xfer to " + eb + "/: 3 message\\(s\\) moved", WAIT);
        assertThat(ok("queue", "--http", hostPort(a.listener("http").orElseThrow())).stdout())
                .doesNotContain("slow.test").contains("keep.test");
    }

    @Test
    void xferToATargetThatRefusesAndDiesLosesNothing() throws Exception {
        SluiceProcess a = holdingMta("a");
        String ea = endpoint(a);
        String esmtp = hostPort(a.listener("esmtp").orElseThrow());
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "a@slow.test", "--count", "4");
        await().atMost(WAIT).until(() -> scheduled(ea, "slow.test") == 4);

        // a target that stores the first two messages, then refuses (503), then is gone
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        com.sun.net.httpserver.HttpServer target = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        target.createContext("/api/xfer/inject/v1", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int n = calls.incrementAndGet();
            String text;
            int status;
            if (n <= 2) {
                String wire;
                try (var in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    wire = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                JsonNode head = JSON.readTree(wire.substring(0, wire.indexOf('\n')));
                accepted.add(head.path("id").asText());
                status = 200;
                text = "{\"id\":\"" + "0".repeat(31) + n + "\"}";
            } else {
                status = 503;
                text = "busy";
            }
            byte[] out = text.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        target.start();
        String url = "http://127.0.0.1:" + target.getAddress().getPort();
        String xferQueue = url + "/.xfer.kumomta.internal";
        try {
            ok("xfer", "--endpoint", ea, "--domain", "slow.test", "--target", url, "--reason", "drain");
            // 2 accepted, then each of the other 2 refused at least once
            await().atMost(WAIT).until(() -> calls.get() >= 4 && scheduled(ea, xferQueue) == 2);
        } finally {
            target.stop(0);
        }
        assertThat(accepted).hasSize(2);
        // the refused ones are still here, and stay while the target is down (tried again every 10 s)
        Thread.sleep(12_000);
        assertThat(scheduled(ea, xferQueue)).isEqualTo(2);
        assertThat(ok("inspect-sched-q", "--endpoint", ea, xferQueue, "--json").stdout())
                .doesNotContain(accepted.iterator().next());
        // in the spool, not only in memory: after a restart the same two wait in the transfer queue
        a.stop();
        String restarted = endpoint(holdingMta("a"));
        await().atMost(WAIT).until(() -> scheduled(restarted, xferQueue) == 2);
        assertThat(scheduled(restarted, "slow.test")).isZero();
        ToolResult notXfer = SluiceCommand.run("xfer-cancel", "--endpoint", restarted, "slow.test", "--reason", "r");
        assertThat(notXfer.exitCode()).isEqualTo(1);
        assertThat(notXfer.stderr()).contains("not a transfer queue");

        assertThat(ok("xfer-cancel", "--endpoint", restarted, xferQueue, "--reason", "target gone").stdout())
                .contains("go back to their queues");
        await().atMost(WAIT).until(() -> scheduled(restarted, "slow.test") == 2 && scheduled(restarted, xferQueue) == 0);
        JsonNode back = JSON.readTree(ok("inspect-sched-q", "--endpoint", restarted, "slow.test", "--json").stdout())
                .path("messages").get(0).path("message");
        assertThat(back.path("num_attempts").asInt()).as("its attempts before the transfer").isEqualTo(1);
        assertThat(back.path("meta").has("xfer_queue_info")).isFalse();
        assertThat(back.path("meta").has("queue")).isFalse();
    }

    @Test
    void resolveEgressPathShowsSourceProxySiteAndPathConfig() throws Exception {
        int sinkPort = FreePorts.tcp();
        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener()
                .source("socks5_proxy_server = '127.0.0.1:1', socks5_proxy_source_address = '127.0.0.1'").write();
        Files.writeString(policy, Files.readString(policy)
                .replace("enable_tls = 'Disabled'", "enable_tls = 'Disabled', connection_limit = 3, "
                        + "max_message_rate = '100/h', provider_name = 'Acme'")
                .replace("kumo.on('get_queue_config', function()\n", "kumo.on('get_queue_config', function(domain)\n"
                        + "  if domain == 'broken.test' then error('no queue for broken.test') end\n"));
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String endpoint = endpoint(mta);
        String site = "mx_list:127.0.0.1:" + sinkPort;

        ToolResult text = ok("resolve-egress-path", "--endpoint", endpoint, "example.test");
        assertThat(text.stdout()).containsPattern("egress pool\\s+pool-1").containsPattern("source\\s+ip-1")
                .containsPattern("proxy\\s+socks5 127.0.0.1:1").containsPattern("site\\s+" + site)
                .containsPattern("ready queue\\s+ip-1->" + site + "@smtp_client")
                .contains("connection_limit = 3").contains("provider_name = Acme")
                .contains("max_message_rate = 100/h (from primary)")
                .contains("max_concurrent_dispatchers = 3 (from primary)");
        JsonNode json = JSON.readTree(ok("resolve-egress-path", "--endpoint", endpoint, "example.test", "ip-1",
                "--json").stdout());
        assertThat(json.path("queue_name").asText()).isEqualTo("ip-1->" + site + "@smtp_client");
        assertThat(json.path("path_config").path("connection_limit").asInt()).isEqualTo(3);
        assertThat(json.path("constraints").path("max_message_rate").path("value").asDouble())
                .isCloseTo(100.0 / 3600, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(json.path("mx").path("site_name").asText()).isEqualTo(site);
        ToolResult broken = SluiceCommand.run("resolve-egress-path", "--endpoint", endpoint, "broken.test");
        assertThat(broken.exitCode()).isEqualTo(1);
        assertThat(broken.stderr()).contains("answered 400").contains("no queue for broken.test");
        ToolResult noSource = SluiceCommand.run("resolve-egress-path", "--endpoint", endpoint, "example.test", "nosuch");
        assertThat(noSource.exitCode()).isEqualTo(1);

    }

    @Test
    void providerSummaryCountsDeliveries() throws Exception {
        int sinkPort = FreePorts.tcp();
        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener().write();
        Files.writeString(policy, Files.readString(policy).replace("enable_tls = 'Disabled'",
                "enable_tls = 'Disabled', provider_name = 'Acme'"));
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String endpoint = endpoint(mta);
        String esmtp = hostPort(mta.listener("esmtp").orElseThrow());
        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "a@ok.test", "--count", "2");
        sink.awaitMessages(2, WAIT);
        await().atMost(WAIT).untilAsserted(() -> assertThat(ok("provider-summary", "--endpoint", endpoint).stdout())
                .containsPattern("PROVIDER\\s+D\\s+T\\s+F\\s+C\\s+Q")
                .containsPattern("Acme\\s+2\\s+0\\s+0\\s+\\d+\\s+0"));
        // what it read: the running MTA's /metrics.json in KumoMTA's shape
        var http = java.net.http.HttpClient.newHttpClient();
        JsonNode metrics = JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(endpoint + "/metrics.json")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        assertThat(metrics.path("total_messages_delivered_by_provider").path("type").asText()).isEqualTo("counter");
        assertThat(metrics.path("total_messages_delivered_by_provider").path("value").path("provider").path("Acme")
                .asInt()).isEqualTo(2);
        assertThat(metrics.path("scheduled_count").path("value").isNumber()).isTrue();
    }
}
