package dev.sluice.tsa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.sluice.testkit.WebSocketTexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon over real loopback sockets: publish, websocket subscribers, the inspection routes, restart, expiry. */
class TsaDaemonTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        client.close();
    }

    /** A websocket subscriber: what the daemon pushes, as JSON. */
    record Subscriber(WebSocketTexts texts) {
        JsonNode next() throws Exception {
            return TsaItem.JSON.readTree(texts.next(WAIT));
        }
    }

    private TsaDaemon start(Path shaping) throws IOException {
        TsaDaemon daemon = TsaDaemon.start(new TsaDaemon.Options(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, List.of(shaping), dir.resolve("state")));
        open.add(daemon);
        return daemon;
    }

    private Subscriber subscribe(TsaDaemon daemon) {
        return subscribe(daemon, "/subscribe_event_v1");
    }

    private Subscriber subscribe(TsaDaemon daemon, String path) {
        WebSocketTexts texts = new WebSocketTexts();
        WebSocket ws = client.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + daemon.address().getPort() + path), texts).join();
        open.add(() -> ws.abort());
        return new Subscriber(texts);
    }

    private HttpResponse<String> get(TsaDaemon daemon, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(daemon, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(TsaDaemon daemon, String json) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(daemon, "/publish_log_v1"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(TsaDaemon daemon, String path) {
        return URI.create("http://127.0.0.1:" + daemon.address().getPort() + path);
    }

    private JsonNode suspended(TsaDaemon daemon) throws Exception {
        HttpResponse<String> r = get(daemon, "/get_suspension_v1/suspended.json");
        assertThat(r.statusCode()).isEqualTo(200);
        return TsaItem.JSON.readTree(r.body());
    }

    @Test
    void aDeferralSuspendsTheSiteForSubscribersAcrossARestartUntilItExpires() throws Exception {
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, TsaStateTest.RULES.replace("duration = \"1 hour\"", "duration = \"10 seconds\""));
        TsaDaemon daemon = start(shaping);
        assertThat(get(daemon, "/tsa/status").body()).isEqualTo(TsaDaemon.STATUS);
        Subscriber early = subscribe(daemon);

        Instant now = Instant.now();
        String ok = TsaItem.JSON.writeValueAsString(TsaStateTest.record(now, 250, "OK", "yahoo.example"));
        assertThat(post(daemon, ok).statusCode()).isEqualTo(200);
        String deferral = TsaItem.JSON.writeValueAsString(TsaStateTest.deferral(now));
        assertThat(post(daemon, deferral).statusCode()).isEqualTo(200);

        JsonNode pushed = early.next().get("ReadyQSuspension");
        assertThat(pushed).as("the subscriber gets a ReadyQSuspension").isNotNull();
        assertThat(pushed.get("site_name").asText()).isEqualTo("pool1->" + TsaStateTest.SITE + "@smtp_client");
        assertThat(pushed.get("source").asText()).isEqualTo("pool1");
        assertThat(pushed.get("reason").asText()).startsWith("automation rule: \\[TS04\\] (Immediate, Suspend for ");
        assertThat(Instant.parse(pushed.get("expires").asText()))
                .isEqualTo(Instant.ofEpochSecond(now.getEpochSecond()).plusSeconds(10));
        assertThat(early.texts().pending()).as("the 250 fired nothing").isEmpty();

        JsonNode listed = suspended(daemon);
        assertThat(listed.get("ready_q")).singleElement().isEqualTo(pushed);
        assertThat(listed.get("sched_q")).isEmpty();
        assertThat(TsaItem.JSON.readTree(get(daemon, "/get_bounce_v1/bounced.json").body())).isEmpty();

        // restart on the same state: a new subscriber receives what is still in force
        daemon.close();
        open.remove(daemon);
        TsaDaemon again = start(shaping);
        Subscriber late = subscribe(again);
        assertThat(late.next().get("ReadyQSuspension")).isEqualTo(pushed);
        // the deprecated route sends it under its old tag
        assertThat(subscribe(again, "/subscribe_suspension_v1").next().get("ReadyQ")).isEqualTo(pushed);

        // and it expires by itself
        await().atMost(WAIT.plusSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> suspended(again).get("ready_q").isEmpty());
        again.close();
        open.remove(again);
        TsaDaemon third = start(shaping);
        Subscriber last = subscribe(third);
        assertThat(suspended(third).get("ready_q")).isEmpty();
        assertThat(last.texts().pending().poll(1, TimeUnit.SECONDS)).as("nothing left to send").isNull();
    }

    @Test
    void aSetConfigRuleShowsInTheShapingOverlayAndBadRecordsGet400() throws Exception {
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, TsaStateTest.RULES);
        TsaDaemon daemon = start(shaping);
        Instant now = Instant.now();
        for (int i = 0; i < 3; i++) {
            String busy = TsaItem.JSON.writeValueAsString(
                    TsaStateTest.record(now, 421, "too many connections", "yahoo.example"));
            assertThat(post(daemon, busy).statusCode()).isEqualTo(200);
        }
        String toml = get(daemon, "/get_config_v1/shaping.toml").body();
        assertThat(toml).contains("# Number of entries: 1", "[\"yahoo.example\".sources.\"pool1\"]",
                "\"max_message_rate\" = \"10/m\"");
        // the same override as JSON, with the rule that set it (what the MTA's shaping helper logs)
        var overrides = TsaItem.JSON.readTree(get(daemon, TsaDaemon.OVERRIDES).body());
        assertThat(overrides).hasSize(1);
        assertThat(overrides.get(0).get("name").asText()).isEqualTo("max_message_rate");
        assertThat(overrides.get(0).get("value").asText()).isEqualTo("10/m");
        assertThat(overrides.get(0).get("reason").asText()).startsWith(
                "automation rule: too many connections (Threshold 3/min, SetConfig max_message_rate=10/m for 30 minutes, ");

        HttpResponse<String> notJson = post(daemon, "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("not a JSON log record");
        assertThat(post(daemon, "null").statusCode()).isEqualTo(400);
        assertThat(post(daemon, "[1]").statusCode()).isEqualTo(400);
        Map<String, Object> noTime = TsaStateTest.deferral(now);
        noTime.remove("timestamp");
        HttpResponse<String> r = post(daemon, TsaItem.JSON.writeValueAsString(noTime));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("no timestamp");
    }
}
