package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.admin.AdminEntry;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.RedisServer;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.tsa.TsaDaemon;
import dev.sluice.tsa.TsaItem;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A TSA action holds on every node of a fleet sharing Redis: node a subscribes to a real {@code sluice tsa} (in this
 * JVM) with {@code shaping:setup_with_automation} and applies its ReadyQSuspension through {@code kumo.api.admin};
 * node b, which subscribes to no daemon, holds that ready queue too.
 */
class RedisTsaShareTest extends MtaAppTestBase {
    private final List<AutoCloseable> extra = new ArrayList<>();

    @AfterEach
    void stopExtra() throws Exception {
        if (app != null) { // before the daemon: its subscriber must not outlive it
            app.shutdown(java.time.Duration.ofSeconds(5));
            app = null;
        }
        for (int i = extra.size() - 1; i >= 0; i--) extra.get(i).close();
    }

    @Test
    void aReadyQueueSuspensionFromTheTsaOnOneNodeHoldsOnANodeWithoutTsa() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        sink = SmtpSink.start();
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, """
                ["default"]
                prohibited_hosts = []
                enable_tls = "Disabled"

                ["slow.test"]
                mx_rollup = false

                [["slow.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = "Suspend"
                duration = "1h"
                """);
        int tsaPort = FreePorts.tcp();
        TsaDaemon tsa = TsaDaemon.start(new TsaDaemon.Options(new InetSocketAddress("127.0.0.1", tsaPort), null,
                List.of(shaping), Files.createDirectories(dir.resolve("tsa-state"))));
        extra.add(tsa::close);
        String record = """
                {"type": "TransientFailure", "timestamp": %d, "recipient": "someone@slow.test", "site": "mx.slow.test",
                 "egress_source": "unspecified", "queue": "slow.test",
                 "response": {"code": 421, "enhanced_code": {"class": 4, "subject": 7, "detail": 0},
                              "content": "[TS04] deferred", "command": "RCPT TO"}}
                """.formatted(Instant.now().getEpochSecond());
        try (HttpClient http = HttpClient.newHttpClient()) {
            var published = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tsaPort + "/publish_log_v1"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(record)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
        }
        assertThat(tsa.state().live(TsaItem.ReadyQSuspension.class)).hasSize(1);

        MtaApp b = RedisNodes.start(dir, "b", redis.url(), sink.port(), "", extra);
        Path a = Files.createDirectories(dir.resolve("a"));
        Path policy = a.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                local shaping = require 'policy-extras.shaping'
                local shaper = shaping:setup_with_automation {
                  subscribe = { 'http://127.0.0.1:PORT' }, no_default_files = true, extra_files = { 'SHAPING' },
                }
                kumo.on('init', function()
                  kumo.configure_redis_throttles { node = 'URL' }
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                  shaper.setup_publish()
                end)
                kumo.on('get_queue_config', function() return kumo.make_queue_config {} end)
                kumo.on('get_egress_path_config', shaper.get_egress_path_config)
                """.replace("PORT", String.valueOf(tsaPort)).replace("SHAPING", shaping.toString())
                .replace("URL", redis.url()).replace("DIR", a.toAbsolutePath().toString()));
        app = MtaFixture.start(policy);

        String name = "unspecified->mx.slow.test@smtp_client";
        await().atMost(WAIT).until(() -> app.admin().list(AdminControl.Kind.SUSPEND_READY_Q).stream()
                .anyMatch(e -> ((AdminEntry.ReadySuspension) e).name().equals(name)));
        await().atMost(WAIT).until(() -> b.admin().list(AdminControl.Kind.SUSPEND_READY_Q).stream()
                .anyMatch(e -> ((AdminEntry.ReadySuspension) e).name().equals(name)));
        assertThat(b.admin().readySuspended(name)).isPresent();
    }
}
