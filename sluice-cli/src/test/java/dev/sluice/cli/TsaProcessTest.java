package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/sluice tsa} as a process: a published deferral suspends its site, also after a restart. */
class TsaProcessTest {
    private static final String SHAPING = """
            ["yahoo.example"]
            mx_rollup = false

            [["yahoo.example".automation]]
            regex = '\\[TS04\\]'
            action = "Suspend"
            duration = "2 hours"
            """;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void closeClient() {
        client.close();
    }

    private String record(long timestamp) {
        return """
                {"type":"TransientFailure","id":"1d98076abbbc11ed940250ebf67f93bd","sender":"news@sender.example",
                 "recipient":"someone@yahoo.example","queue":"yahoo.example",
                 "site":"pool1->(mta5|mta6|mta7)?.am0.yahoodns.example@smtp_client","size":1024,
                 "response":{"code":421,"enhanced_code":{"class":4,"subject":7,"detail":0},
                   "content":"[TS04] Messages from 10.0.0.1 temporarily deferred due to unexpected volume","command":"."},
                 "timestamp":%d,"egress_source":"pool1","egress_pool":"pool"}
                """.formatted(timestamp);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPublishedDeferralIsListedAndSurvivesARestart() throws Exception {
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, SHAPING);
        String listen = "127.0.0.1:" + FreePorts.tcp();
        String[] args = {"tsa", "--listen", listen, "--shaping", shaping.toString(), "--state", dir.resolve("state").toString()};
        SluiceProcess tsa = peers.add(SluiceProcess.start(args));
        assertThat(tsa.httpListener().getPort()).isEqualTo(Integer.parseInt(listen.substring(listen.indexOf(':') + 1)));
        String base = "http://" + listen;

        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/tsa/status"))).body()).isEqualTo("TSA Daemon OK");
        var posted = send(HttpRequest.newBuilder(URI.create(base + "/publish_log_v1"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(record(Instant.now().getEpochSecond()))));
        assertThat(posted.statusCode()).isEqualTo(200);
        String listed = send(HttpRequest.newBuilder(URI.create(base + "/get_suspension_v1/suspended.json"))).body();
        assertThat(listed).contains("\"site_name\":\"pool1->(mta5|mta6|mta7)?.am0.yahoodns.example@smtp_client\"",
                "\"source\":\"pool1\"", "\"reason\":\"automation rule: \\\\[TS04\\\\] (Immediate, Suspend for ");

        tsa.close();
        SluiceProcess again = peers.add(SluiceProcess.start(args));
        assertThat(again.initialized()).isTrue();
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/get_suspension_v1/suspended.json"))).body())
                .isEqualTo(listed);
    }

    @Test
    void aShapingFileThatDoesNotLoadStopsTheStartNamingTheFile() throws Exception {
        Path shaping = dir.resolve("bad.toml");
        Files.writeString(shaping, """
                ["yahoo.example"]
                mx_rollup = false
                [["yahoo.example".automation]]
                regex = "x"
                action = "Explode"
                duration = "1h"
                """);
        var r = SluiceCommand.run("tsa", "--listen", "127.0.0.1:" + FreePorts.tcp(), "--shaping", shaping.toString(),
                "--state", dir.resolve("state").toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("bad.toml", "unknown action 'Explode'");
    }

    @Test
    void aTsaInitFileConfiguresListenerStateAndRules() throws Exception {
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, SHAPING);
        String listen = "127.0.0.1:" + FreePorts.tcp();
        Path init = dir.resolve("tsa_init.lua");
        Files.writeString(init, """
                local tsa = require 'tsa'
                kumo.on('tsa_init', function()
                  tsa.configure_tsa_db_path('%s')
                  tsa.start_http_listener { listen = '%s' }
                end)
                kumo.on('tsa_load_shaping_data', function()
                  return kumo.shaping.load { '%s' }
                end)
                """.formatted(dir.resolve("db"), listen, shaping));
        assertThat(SluiceCommand.run("tsa", "--policy", init.toString(), "--listen", listen).exitCode())
                .as("--listen belongs in tsa_init").isEqualTo(2);

        peers.add(SluiceProcess.start("tsa", "--policy", init.toString()));
        var posted = send(HttpRequest.newBuilder(URI.create("http://" + listen + "/publish_log_v1"))
                .POST(HttpRequest.BodyPublishers.ofString(record(Instant.now().getEpochSecond()))));
        assertThat(posted.statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create("http://" + listen + "/get_suspension_v1/suspended.json"))).body())
                .contains("\"source\":\"pool1\"");
        assertThat(dir.resolve("db")).isDirectory();
    }
}
