package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.HeadlessChromium;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.WebSocketTexts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console at {@code /}, in a real browser: headless Chromium (Debian's {@code chromium}, installed by
 * {@code bin/test}) driven over the DevTools protocol ({@link HeadlessChromium}). The page shows a queue this test
 * filled; a suspension made from the page (through its confirmation dialog) holds the queue's messages, and resuming
 * it from the page lets them go. With {@code -Dsluice.console.screenshot=FILE} the page is saved as a PNG (the
 * README's {@code docs/img/console.png}).
 */
class ConsoleBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private MtaApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private Path policy(int sinkPort, String listener, String more) throws Exception {
        return Files.writeString(dir.resolve("policy.lua"), """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' LISTENER }
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { retry_interval = '2s', max_retry_interval = '2s',
                    protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                MORE
                """.replace("DIR", dir.toAbsolutePath().toString()).replace("PORT", Integer.toString(sinkPort))
                .replace("LISTENER", listener).replace("MORE", more));
    }

    private static String text(String selector) {
        return "(document.querySelector('" + selector + "') || {}).textContent";
    }

    private String get(String http, String path) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://" + http + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    @Test
    void thePageShowsAFilledQueueAndASuspendMadeFromItHoldsTheQueueUntilResumedFromIt() throws Exception {
        assumeTrue(HeadlessChromium.available(), "chromium is not installed (bin/test installs it)");
        int sinkPort = FreePorts.tcp();
        app = MtaFixture.start(policy(sinkPort, "", ""));
        String http = MtaFixture.hostPort(app.httpAddresses().getFirst());
        for (int i = 1; i <= 3; i++) { // the sink is not there yet: they wait in the scheduled queue
            MtaFixture.sendAccepted(app, "user" + i + "@held.example", "console " + i);
        }
        await().atMost(WAIT).until(() -> app.queues().snapshot().getOrDefault("held.example", 0) == 3);

        try (HeadlessChromium page = HeadlessChromium.start(1400, 1000)) {
            page.navigate("http://" + http + "/");
            page.await(text("#live"), v -> v.asText().equals("live"), WAIT);
            String row = "#scheduled tr[data-queue=\"held.example\"]";
            page.await(text(row + " td:nth-child(2)"), v -> v.asText().equals("3"), WAIT);
            page.await(text("#records tbody"), v -> v.asText().contains("TransientFailure"), WAIT);

            // Suspend opens the confirmation dialog; nothing is sent before Confirm
            page.evaluate("document.querySelector('" + row + " button.suspend').click()");
            assertThat(page.evaluate("document.querySelector('#confirm').open").asBoolean()).isTrue();
            page.evaluate("const r = document.querySelector('#confirm-reason'); r.value = 'held by the browser test';"
                    + " r.dispatchEvent(new Event('input'))");
            assertThat(page.evaluate(text("#confirm-request")).asText())
                    .contains("POST /api/admin/suspend/v1").contains("\"queue_names\"").contains("held.example")
                    .contains("held by the browser test");
            assertThat(get(http, "/api/admin/suspend/v1")).isEqualTo("[]");
            page.evaluate("document.querySelector('#confirm-ok').click()");

            await().atMost(WAIT).until(() -> get(http, "/api/admin/suspend/v1").contains("held by the browser test"));
            page.await(text(row + " td:nth-child(4)"), v -> v.asText().equals("held by the browser test"), WAIT);
            page.await(text("#entries tbody"), v -> v.asText().contains("queues=held.example"), WAIT);
            // a record's id opens the message's inspection (inspect-message, read from the spool)
            page.evaluate("document.querySelector('#records tbody tr[data-type=\"Reception\"] a').click()");
            page.await(text("#inspect-result"), v -> v.asText().contains("\"sender\": \"sender@example.test\"")
                    && v.asText().contains("\"queue\": \"held.example\""), WAIT);
            String screenshot = System.getProperty("sluice.console.screenshot");
            if (screenshot != null && !screenshot.isBlank()) {
                Files.write(Path.of(screenshot), page.screenshot(true));
            }

            // the suspension holds: with the sink up, nothing goes out for several retry intervals
            SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());
            Thread.sleep(6_000);
            assertThat(sink.messages()).isEmpty();
            assertThat(app.queues().snapshot().get("held.example")).isEqualTo(3);

            // Resume from the page, confirmed: the messages go out
            page.evaluate("document.querySelector('#entries tbody button.resume').click()");
            assertThat(page.evaluate(text("#confirm-request")).asText()).startsWith("DELETE /api/admin/suspend/v1");
            page.evaluate("document.querySelector('#confirm-ok').click()");
            sink.awaitMessages(3, WAIT);
            page.await("document.querySelector('#scheduled tbody').children.length", v -> v.asInt() == 0, WAIT);
        }
    }

    @Test
    void aCancelledDialogSendsNothing() throws Exception {
        assumeTrue(HeadlessChromium.available(), "chromium is not installed (bin/test installs it)");
        app = MtaFixture.start(policy(FreePorts.tcp(), "", ""));
        String http = MtaFixture.hostPort(app.httpAddresses().getFirst());
        MtaFixture.sendAccepted(app, "someone@kept.example", "kept");
        try (HeadlessChromium page = HeadlessChromium.start(1200, 800)) {
            page.navigate("http://" + http + "/");
            String row = "#scheduled tr[data-queue=\"kept.example\"]";
            page.await(text(row + " td:nth-child(2)"), v -> v.asText().equals("1"), WAIT);
            page.evaluate("document.querySelector('" + row + " button.bounce').click()");
            page.evaluate("document.querySelector('#confirm-cancel').click()");
            page.await(text("#status"), v -> v.asText().startsWith("cancelled"), WAIT);
            assertThat(get(http, "/api/admin/bounce/v1")).isEqualTo("[]");
            assertThat(app.spool().count()).isEqualTo(1); // still spooled: nothing bounced it
        }
    }

    @Test
    void outsideTheTrustedHostsThePageAndItsLiveFeedNeedAcceptedBasicCredentials() throws Exception {
        app = MtaFixture.start(policy(FreePorts.tcp(), ", trusted_hosts = { '127.0.0.2' }", """
                kumo.on('http_server_validate_auth_basic', function(user, password)
                  return user == 'ops' and password == 'secret'
                end)
                """));
        String http = MtaFixture.hostPort(app.httpAddresses().getFirst());
        String good = "Basic " + Base64.getEncoder().encodeToString("ops:secret".getBytes(StandardCharsets.UTF_8));
        String bad = "Basic " + Base64.getEncoder().encodeToString("ops:wrong".getBytes(StandardCharsets.UTF_8));
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create("http://" + http + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> v.startsWith("Basic"));
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create("http://" + http + "/"))
                    .header("Authorization", good).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<script src=\"/console/console.js\"></script>")
                    .doesNotContain("http://").doesNotContain("https://"); // nothing loaded from elsewhere

            URI live = URI.create("ws://" + http + "/api/console/live/v1");
            var refused = client.newWebSocketBuilder().header("Authorization", bad)
                    .buildAsync(live, new WebSocketTexts());
            assertThat(refused).failsWithin(WAIT);
            var texts = new WebSocketTexts();
            var socket = client.newWebSocketBuilder().header("Authorization", good).buildAsync(live, texts)
                    .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            JsonNode first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(texts.next(WAIT));
            assertThat(first.path("type").asText()).isEqualTo("tick");
            socket.abort();
        }
    }
}
