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
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A TSA action holds on every node of a fleet sharing Redis: node a subscribes to a real {@code sluice tsa} (in this
 * JVM) with {@code shaping:setup_with_automation} and applies its ReadyQSuspension through {@code kumo.api.admin};
 * node b, which subscribes to no daemon, holds that ready queue too. And a SetConfig override of the daemon, which
 * only node a reads, holds on node b as well, also while the daemon is down, until its own expiry.
 */
class RedisTsaShareTest extends MtaAppTestBase {
    private static final String SHAPING = """
            ["default"]
            prohibited_hosts = []
            enable_tls = "Disabled"

            ["slow.test"]
            mx_rollup = false

            [["slow.test".automation]]
            regex = "\\\\[TS04\\\\]"
            action = "Suspend"
            duration = "1h"

            [["slow.test".automation]]
            regex = "\\\\[TS05\\\\]"
            action = {SetConfig = {name = "connection_limit", value = 1}}
            duration = "20s"
            """;
    private final List<AutoCloseable> extra = new ArrayList<>();

    @AfterEach
    void stopExtra() throws Exception {
        if (app != null) { // before the daemon: its subscriber must not outlive it
            app.shutdown(java.time.Duration.ofSeconds(5));
            app = null;
        }
        for (int i = extra.size() - 1; i >= 0; i--) extra.get(i).close();
    }

    /** Starts a {@code sluice tsa} (in this JVM) on {@link #SHAPING}'s rules; its URL. */
    private String daemon(Path shaping) throws Exception {
        Files.writeString(shaping, SHAPING);
        int tsaPort = FreePorts.tcp();
        TsaDaemon tsa = TsaDaemon.start(new TsaDaemon.Options(new InetSocketAddress("127.0.0.1", tsaPort), null,
                List.of(shaping), Files.createDirectories(dir.resolve("tsa-state"))));
        daemon = tsa;
        extra.add(this::stopDaemon);
        return "http://127.0.0.1:" + tsaPort;
    }

    private TsaDaemon daemon;

    private void stopDaemon() {
        if (daemon != null) daemon.close();
        daemon = null;
    }

    /** Posts one TransientFailure for slow.test whose response carries {@code tag}. */
    private static void publish(String tsaUrl, String tag) throws Exception {
        String record = """
                {"type": "TransientFailure", "timestamp": %d, "recipient": "someone@slow.test", "site": "mx.slow.test",
                 "egress_source": "unspecified", "queue": "slow.test",
                 "response": {"code": 421, "enhanced_code": {"class": 4, "subject": 7, "detail": 0},
                              "content": "%s deferred", "command": "RCPT TO"}}
                """.formatted(Instant.now().getEpochSecond(), tag);
        try (HttpClient http = HttpClient.newHttpClient()) {
            var published = http.send(HttpRequest.newBuilder(URI.create(tsaUrl + "/publish_log_v1"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(record)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
        }
    }

    /**
     * A node {@code name} using the shaping helper with {@code helperOptions} (its file is {@code shaping}) and Redis
     * throttles; its event {@code path_config} answers the path config the helper gives slow.test's site.
     */
    private MtaApp shapingNode(String name, String redisUrl, Path shaping, String helperOptions) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path policy = d.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                local shaping = require 'policy-extras.shaping'
                local shaper = shaping:setup_with_automation {
                  no_default_files = true, extra_files = { 'SHAPING' }, OPTIONS
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
                kumo.on('path_config', function()
                  return shaper.get_egress_path_config('slow.test', 'unspecified', 'mx.slow.test', true)
                end)
                """.replace("OPTIONS", helperOptions).replace("SHAPING", shaping.toString())
                .replace("URL", redisUrl).replace("DIR", d.toAbsolutePath().toString()));
        MtaApp app = MtaFixture.start(policy);
        extra.add(() -> app.shutdown(java.time.Duration.ofSeconds(5)));
        return app;
    }

    private static Object connectionLimit(MtaApp app) throws Exception {
        return ((Map<?, ?>) app.policy().call("path_config")).get("connection_limit");
    }

    @Test
    void aReadyQueueSuspensionFromTheTsaOnOneNodeHoldsOnANodeWithoutTsa() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        sink = SmtpSink.start();
        Path shaping = dir.resolve("shaping.toml");
        String tsaUrl = daemon(shaping);
        publish(tsaUrl, "[TS04]");
        assertThat(daemon.state().live(TsaItem.ReadyQSuspension.class)).hasSize(1);

        MtaApp b = RedisNodes.start(dir, "b", redis.url(), sink.port(), "", extra);
        MtaApp a = shapingNode("a", redis.url(), shaping, "subscribe = { 'TSA' },".replace("TSA", tsaUrl));

        String name = "unspecified->mx.slow.test@smtp_client";
        await().atMost(WAIT).until(() -> a.admin().list(AdminControl.Kind.SUSPEND_READY_Q).stream()
                .anyMatch(e -> ((AdminEntry.ReadySuspension) e).name().equals(name)));
        await().atMost(WAIT).until(() -> b.admin().list(AdminControl.Kind.SUSPEND_READY_Q).stream()
                .anyMatch(e -> ((AdminEntry.ReadySuspension) e).name().equals(name)));
        assertThat(b.admin().readySuspended(name)).isPresent();
    }

    /**
     * A SetConfig of the daemon, read by the nodes that subscribe (a and c, one entry in Redis), shows in the path config of a node that
     * does not (b), stays while the daemon is down, and ends at its own expiry on both.
     */
    @Test
    void aSetConfigFromTheTsaOnOneNodeHoldsOnANodeWithoutTsaWhileTheDaemonIsDownUntilItExpires() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        Path shaping = dir.resolve("shaping.toml");
        String tsaUrl = daemon(shaping);
        MtaApp a = shapingNode("a", redis.url(), shaping,
                "subscribe = { 'TSA' }, config_monitor_interval = '1s',".replace("TSA", tsaUrl));
        MtaApp c = shapingNode("c", redis.url(), shaping,
                "subscribe = { 'TSA' }, config_monitor_interval = '1s',".replace("TSA", tsaUrl));
        MtaApp b = shapingNode("b", redis.url(), shaping, "");
        assertThat(connectionLimit(b)).isNull();

        publish(tsaUrl, "[TS05]"); // SetConfig connection_limit = 1 for 20 s
        assertThat(daemon.state().live(TsaItem.ConfigOverride.class)).hasSize(1);
        Instant expires = daemon.state().live(TsaItem.ConfigOverride.class).getFirst().expires();
        await().atMost(WAIT).until(() -> Long.valueOf(1).equals(number(connectionLimit(b))));
        await().atMost(WAIT).until(() -> Long.valueOf(1).equals(number(connectionLimit(a))));
        // a and c both read it from the daemon and share it: one entry in Redis, not two
        var redisOfB = b.policy().throttles().open(b.policy().throttles().config());
        assertThat(redisOfB.command("HLEN", List.of("sluice.tsa.config_overrides")).get()).isEqualTo(1L);

        stopDaemon(); // a can no longer read it: the fleet's copy holds
        Thread.sleep(3000); // a few of a's monitor rounds
        assertThat(Instant.now()).as("the test ran too slowly to see the daemon down before the expiry")
                .isBefore(expires.minusSeconds(2));
        assertThat(number(connectionLimit(a))).isEqualTo(1L);
        assertThat(number(connectionLimit(b))).isEqualTo(1L);

        await().atMost(WAIT).until(() -> connectionLimit(b) == null);
        assertThat(Instant.now()).isAfter(expires);
        await().atMost(WAIT).until(() -> connectionLimit(a) == null);
    }

    private static Long number(Object v) {
        return v instanceof Number n ? n.longValue() : null;
    }
}
