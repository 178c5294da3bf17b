package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading {@code bin/sluice mta}'s policy without a restart: SIGHUP, {@code sluice bump-config-epoch} and the config
 * monitor. The policy routes every message to one of three smtp-sinks; each reload changes which, and a broken file is
 * refused while the running policy keeps delivering.
 */
class ReloadProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** The policy; {@code route} is the Lua expression of the sink's port, {@code listen} the ESMTP listener. */
    private Path policy(String route, String listen) throws IOException {
        String d = dir.toAbsolutePath().toString();
        return Files.writeString(dir.resolve("policy.lua"), """
                local kumo = require 'kumo'
                local routes = kumo.serde.json_load('DIR/routes.json')
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = 'LISTEN' }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                  kumo.set_config_monitor_globs { 'DIR/*.json' }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { retry_interval = '2s', max_retry_interval = '2s',
                    protocol = { smtp = { mx_list = { '127.0.0.1:' .. ROUTE } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", d).replace("ROUTE", route).replace("LISTEN", listen));
    }

    private static void routes(Path dir, int port) throws IOException {
        Files.writeString(dir.resolve("routes.json"), "{ \"port\": " + port + " }\n");
    }

    private static void hangUp(SluiceProcess mta) {
        ToolResult r = Tool.run(null, List.of("kill", "-HUP", Long.toString(mta.pid())), Map.of(), Duration.ofSeconds(10));
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    /** Waits until {@code count} output lines match {@code regex}; returns the last of them. */
    private static String awaitLines(SluiceProcess mta, String regex, int count) {
        Pattern p = Pattern.compile(regex);
        await().atMost(WAIT).until(() -> mta.lines().stream().filter(l -> p.matcher(l).find()).count() >= count);
        return mta.lines().stream().filter(l -> p.matcher(l).find()).toList().get(count - 1);
    }

    private static String metrics(String http) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://" + http + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void sighupTheCliAndTheMonitorReloadAndABrokenPolicyIsRefusedWhileTheOldOneDelivers() throws Exception {
        SmtpSink a = peers.add(SmtpSink.start());
        SmtpSink b = peers.add(SmtpSink.start());
        SmtpSink c = peers.add(SmtpSink.start());
        routes(dir, b.port());
        Path file = policy(Integer.toString(a.port()), "127.0.0.1:0");
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, file);
        String esmtp = AdminProcessTest.hostPort(mta.listener("esmtp").orElseThrow());
        String http = AdminProcessTest.hostPort(mta.listener("http").orElseThrow());
        String endpoint = "http://" + http;

        AdminProcessTest.ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "one@example.net");
        a.awaitMessages(1, WAIT);

        // SIGHUP: the file now routes by routes.json (sink b); new deliveries go there
        policy("routes.port", "127.0.0.1:0");
        hangUp(mta);
        awaitLines(mta, "policy .*policy\\.lua reloaded \\(SIGHUP\\)", 1);
        AdminProcessTest.ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "two@example.net");
        b.awaitMessages(1, WAIT);

        // a broken file: SIGHUP is refused with file:line, logged and counted; the running policy goes on delivering
        Files.writeString(file, Files.readString(file).replace("end)\nkumo.on('get_egress_path_config'",
                "end end)\nkumo.on('get_egress_path_config'"));
        int brokenLine = 13;
        hangUp(mta);
        String refused = awaitLines(mta, "policy reload refused \\(SIGHUP\\), the running policy stays: ", 1);
        assertThat(refused).contains(file + ":" + brokenLine + ":");
        assertThat(metrics(http)).contains("policy_reload_failed 1.0")
                .containsPattern("policy_reload_count_total\\{result=\"refused\"} 1\\.0");
        AdminProcessTest.ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "three@example.net");
        b.awaitMessages(2, WAIT);

        // bump-config-epoch (kcli's verb) with the broken file: exit 2, file:line on stderr
        ToolResult cli = SluiceCommand.run("bump-config-epoch", "--endpoint", endpoint);
        assertThat(cli.exitCode()).as(cli.describe()).isEqualTo(2);
        assertThat(cli.stderr()).contains("policy reload refused, the running policy stays: " + file + ":" + brokenLine + ":");

        // fixed, with another ESMTP listener: reloaded, the listener reported as needing a restart and not started
        int other = FreePorts.tcp();
        policy("routes.port", "127.0.0.1:" + other);
        cli = AdminProcessTest.ok("bump-config-epoch", "--endpoint", endpoint);
        assertThat(cli.stdout()).contains("policy reloaded; config epoch is now")
                .contains("needs a restart, not applied: added: esmtp listener 127.0.0.1:" + other)
                .contains("needs a restart, not applied: removed: esmtp listener 127.0.0.1:0");
        assertThat(listening(other)).isFalse();
        assertThat(metrics(http)).contains("policy_reload_failed 0.0").contains("policy_restart_needed 1.0");

        // the config monitor (kumo.set_config_monitor_globs in init) sees routes.json change by itself
        routes(dir, c.port());
        awaitLines(mta, "policy .*policy\\.lua reloaded \\(config monitor: ", 1);
        AdminProcessTest.ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "four@example.net");
        c.awaitMessages(1, WAIT);
        assertThat(a.messages()).hasSize(1);
        assertThat(b.messages()).hasSize(2);
    }
}
