package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.AiosmtpdSink;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.LogCapture;
import dev.sluice.testkit.SinkSessions;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.tsa.TsaDaemon;
import dev.sluice.tsa.TsaItem;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code shaping:setup_with_automation} against a real {@code sluice tsa} (in this JVM, on its own loopback port):
 * the MTA publishes its delivery records, the daemon's rules fire on a Yahoo-style {@code 421 4.7.0 [TS04]} deferral,
 * and the MTA obeys: a Suspend holds that site's ready queue until it expires while another site keeps flowing, a
 * SetConfig changes that site's path config; a daemon that is down costs nothing but one log line.
 */
class TsaAutomationTest extends MtaAppTestBase {
    private static final String TS04 = "421 4.7.0 [TS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints";
    /** Two sites on loopback: slow.test (the deferring MX) and fast.test (the sink); shaping gives each its port. */
    private static final String ZONE = """
            $ORIGIN test.
            slow      MX 10 mx.slow.test.
            fast      MX 10 mx.fast.test.
            mx.slow   A 127.0.0.1
            mx.fast   A 127.0.0.1
            """;

    @RegisterExtension
    final LogCapture policyLog = new LogCapture("policy");
    @RegisterExtension
    final LogCapture adminLog = new LogCapture("dev.sluice.mta.admin");

    private TsaDaemon tsa;
    private AiosmtpdSink deferring;

    @AfterEach
    void stopPeers() {
        // the MTA first (MtaAppTestBase stops it after this): its subscriber must not outlive the daemon's test
        if (app != null) {
            app.shutdown(Duration.ofSeconds(5));
            app = null;
        }
        if (tsa != null) {
            tsa.close();
        }
        if (deferring != null) {
            deferring.close();
        }
    }

    /**
     * The shaping file both the MTA and the daemon read. Blocks are keyed by domain (mx_rollup = false): the daemon
     * resolves with the system's DNS, which does not know these test names.
     */
    private Path shaping(int slowPort, String slowRule, String fastRule) throws Exception {
        Path file = dir.resolve("shaping.toml");
        Files.writeString(file, """
                ["default"]
                prohibited_hosts = []
                enable_tls = "Disabled"

                ["slow.test"]
                mx_rollup = false
                smtp_port = %d

                %s

                ["fast.test"]
                mx_rollup = false
                smtp_port = %d

                %s
                """.formatted(slowPort, slowRule, sink.port(), fastRule));
        return file;
    }

    private Path policy(int tsaPort) throws Exception {
        Path file = dir.resolve("init.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local shaping = require 'policy-extras.shaping'
                kumo.dns.configure_test_resolver { [==[ZONE]==] }
                local shaper = shaping:setup_with_automation {
                  publish = { 'http://127.0.0.1:PORT' },
                  subscribe = { 'http://127.0.0.1:PORT' },
                  no_default_files = true,
                  extra_files = { 'DIR/shaping.toml' },
                  tsa_queue_config = { retry_interval = '1s', max_retry_interval = '1s' },
                  config_monitor_interval = '1s',
                  subscribe_max_retry_interval = '2s',
                }
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                  shaper.setup_publish()
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { retry_interval = '1s', max_retry_interval = '1s' }
                end)
                kumo.on('get_egress_path_config', shaper.get_egress_path_config)
                """.replace("ZONE", ZONE).replace("PORT", String.valueOf(tsaPort))
                .replace("DIR", dir.toAbsolutePath().toString()));
        return file;
    }

    private TsaDaemon startTsa(int port, Path shapingFile) throws Exception {
        return TsaDaemon.start(new TsaDaemon.Options(new InetSocketAddress("127.0.0.1", port), null,
                List.of(shapingFile), Files.createDirectories(dir.resolve("tsa-state"))));
    }

    /** A daemon whose rule suspends slow.test's ready queue for {@code duration} on a [TS04] deferral; its port. */
    private int startTsaSuspendingSlowTestOnTs04(String duration) throws Exception {
        int tsaPort = FreePorts.tcp();
        Path shapingFile = shaping(deferring.port(), """
                [["slow.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = "Suspend"
                duration = "%s"
                """.formatted(duration), "");
        tsa = startTsa(tsaPort, shapingFile);
        return tsaPort;
    }

    private List<String> policyLines(String containing) {
        return policyLog.lines().stream().filter(l -> l.contains(containing)).toList();
    }

    /** The MTA's log lines of the ready-queue suspensions it applies (added and expired). */
    private List<String> suspensionLines(String containing) {
        return adminLog.lines().stream().filter(l -> l.contains("suspension of ready queue") && l.contains(containing))
                .toList();
    }

    /** What another MTA publishes when slow.test answers a [TS04] deferral. */
    private static void publishTs04Deferral(int tsaPort) throws Exception {
        String record = """
                {"type": "TransientFailure", "timestamp": %d, "recipient": "someone@slow.test", "site": "mx.slow.test",
                 "egress_source": "unspecified", "queue": "slow.test",
                 "response": {"code": 421, "enhanced_code": {"class": 4, "subject": 7, "detail": 0},
                              "content": "[TS04] Messages from 127.0.0.1 temporarily deferred", "command": "RCPT TO"}}
                """.formatted(Instant.now().getEpochSecond());
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + tsaPort + "/publish_log_v1"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(record)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static String recipients(String prefix, int n) {
        return java.util.stream.IntStream.rangeClosed(1, n).mapToObj(i -> prefix + i + "@slow.test")
                .collect(java.util.stream.Collectors.joining(","));
    }

    private static List<String> subjects(List<DumpedMessage> messages) {
        return messages.stream().map(m -> m.header("Subject").orElse("")).sorted().toList();
    }

    @Test
    void aTs04DeferralSuspendsThatSiteUntilTheRuleExpiresWhileAnotherSiteFlows() throws Exception {
        sink = SmtpSink.start();
        deferring = AiosmtpdSink.builder().rcptReply(TS04, 1).start();
        int tsaPort = startTsaSuspendingSlowTestOnTs04("8s");
        app = MtaFixture.start(policy(tsaPort));
        await().atMost(WAIT).until(() -> !policyLines("subscribed").isEmpty());

        MtaFixture.sendAccepted(app, "first@slow.test", "slow-0");
        // the 421 is published, the rule fires, the daemon pushes the suspension and the MTA applies it
        await().atMost(WAIT).until(() -> !tsa.state().live(TsaItem.ReadyQSuspension.class).isEmpty());
        TsaItem.ReadyQSuspension suspension = tsa.state().live(TsaItem.ReadyQSuspension.class).getFirst();
        assertThat(suspension.source()).isEqualTo("unspecified");
        await().atMost(WAIT).until(() -> !suspensionLines("until").isEmpty());
        assertThat(policyLines("applying")).isEmpty();
        // one log line says what the MTA holds, until when, and which rule of which file fired
        assertThat(suspensionLines("until")).singleElement().asString()
                .contains("admin: suspension of ready queue unspecified->mx.slow.test@smtp_client ")
                .contains(" until " + suspension.expires() + ": automation rule: \\[TS04\\] (Immediate, Suspend for 8s, "
                        + dir.resolve("shaping.toml") + ": [[\"slow.test\".automation]] #1) (rule_hash=");

        for (int i = 1; i <= 3; i++) {
            MtaFixture.sendAccepted(app, "user" + i + "@slow.test", "slow-" + i);
            MtaFixture.sendAccepted(app, "user" + i + "@fast.test", "fast-" + i);
        }
        // the other site is not held
        assertThat(subjects(sink.awaitMessages(3, WAIT))).containsExactly("fast-1", "fast-2", "fast-3");
        assertThat(Instant.now()).isBefore(suspension.expires());
        assertThat(deferring.messages()).isEmpty();

        // after expiry the held site resumes: every message once, none before the suspension ended
        assertThat(subjects(deferring.awaitMessages(4, WAIT))).containsExactly("slow-0", "slow-1", "slow-2", "slow-3");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).stream() // the log writer is asynchronous
                .filter(r -> r.queue().equals("slow.test")).count() == 4);
        List<LogRecord> slowDeliveries = records(dir, RecordType.Delivery).stream()
                .filter(r -> r.queue().equals("slow.test")).toList();
        assertThat(slowDeliveries).allSatisfy(r ->
                assertThat(r.eventTime()).isAfterOrEqualTo(suspension.expires().minusMillis(500)));
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        assertThat(deferring.messages()).hasSize(4);
        assertThat(sink.messages()).hasSize(3);
        // and its end is logged too
        assertThat(suspensionLines("expired at " + suspension.expires())).hasSize(1);
        assertThat(suspensionLines("until")).hasSize(1);
    }

    @Test
    void anActionInForceThatTheDaemonSendsAgainAfterARestartIsAppliedOnce() throws Exception {
        sink = SmtpSink.start();
        deferring = AiosmtpdSink.builder().rcptReply(TS04, 1).start();
        int tsaPort = FreePorts.tcp();
        tsa = startTsa(tsaPort, shaping(deferring.port(), """
                [["slow.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = ["Suspend", {SetConfig = {name = "max_message_rate", value = "50/s"}}]
                duration = "1h"
                """, ""));
        app = MtaFixture.start(policy(tsaPort));
        await().atMost(WAIT).until(() -> !policyLines("subscribed").isEmpty());
        MtaFixture.sendAccepted(app, "first@slow.test", "slow-0");
        await().atMost(WAIT).until(() -> !suspensionLines("until").isEmpty());
        String setConfig = "SetConfig max_message_rate=50/s for slow.test from source unspecified until ";
        await().atMost(WAIT).until(() -> !policyLines(setConfig).isEmpty());
        var before = app.admin().list(dev.sluice.mta.admin.AdminControl.Kind.SUSPEND_READY_Q);
        assertThat(before).hasSize(1);

        // the daemon restarts on its store; the MTA loses the subscription, reconnects, and gets what is in force again
        tsa.close();
        tsa = startTsa(tsaPort, dir.resolve("shaping.toml"));
        assertThat(tsa.state().live(TsaItem.ReadyQSuspension.class)).hasSize(1);
        await().atMost(WAIT).until(() -> !policyLines("reachable again").isEmpty());
        Thread.sleep(3_000); // the items sent on connecting are applied by then, and the overrides asked for again

        var after = app.admin().list(dev.sluice.mta.admin.AdminControl.Kind.SUSPEND_READY_Q);
        assertThat(after).as("one suspension in force, the same entry, its expiry not moved").containsExactlyElementsOf(before);
        assertThat(suspensionLines("until")).as("logged once").hasSize(1);
        double gauge = app.registry().scrape().stream().filter(m -> m.getMetadata().getName().equals("admin_entries"))
                .flatMap(m -> m.getDataPoints().stream())
                .filter(p -> p.getLabels().get("kind").equals("suspend_ready_q"))
                .mapToDouble(p -> ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) p)
                        .getValue()).sum();
        assertThat(gauge).as("admin_entries{kind=suspend_ready_q}").isEqualTo(1.0);
        assertThat(policyLines(setConfig)).as("the override logged once").hasSize(1);
        assertThat(policyLines(" ended ")).isEmpty();
        assertThat(deferring.messages()).isEmpty();
    }

    @Test
    void aSetConfigRuleChangesThePathConfigOfThatSite() throws Exception {
        sink = SmtpSink.start();
        deferring = AiosmtpdSink.builder().rcptReply(TS04).start(); // defers every recipient, forever
        int tsaPort = FreePorts.tcp();
        // the override sends slow.test's mail to the sink's port: delivery there shows the path config changed (a
        // connection already open to the old port would be reused, so each one takes one message only)
        Path shapingFile = shaping(deferring.port(), """
                max_deliveries_per_connection = 1

                [["slow.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = [{SetConfig = {name = "smtp_port", value = %d}}, {SetConfig = {name = "connection_limit", value = 1}}]
                duration = "1h"
                """.formatted(sink.port()), "");
        tsa = startTsa(tsaPort, shapingFile);
        app = MtaFixture.start(policy(tsaPort));

        MtaFixture.sendAccepted(app, "first@slow.test", "slow-0");

        assertThat(subjects(sink.awaitMessages(1, WAIT))).containsExactly("slow-0");
        assertThat(tsa.state().live(TsaItem.ConfigOverride.class)).extracting(TsaItem.ConfigOverride::name)
                .containsExactlyInAnyOrder("smtp_port", "connection_limit");
        assertThat(records(dir, RecordType.TransientFailure)).filteredOn(r -> r.queue().equals("slow.test"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.response().content()).contains("[TS04]"));
        assertThat(policyLines("shaping data changed")).isNotEmpty();
        // each override the MTA applies is logged once, with the rule that set it and its expiry
        String port = "SetConfig smtp_port=" + sink.port() + " for slow.test from source unspecified until ";
        await().atMost(WAIT).until(() -> !policyLines(port).isEmpty());
        assertThat(policyLines(port)).singleElement().asString().contains(": automation rule: \\[TS04\\] (Immediate, SetConfig smtp_port="
                + sink.port() + " for 1h, " + dir.resolve("shaping.toml") + ": [[\"slow.test\".automation]] #1)");
        assertThat(policyLines("SetConfig connection_limit=1 for slow.test from source unspecified until ")).hasSize(1);
        // later mail to that site goes straight to the overridden port
        MtaFixture.sendAccepted(app, "second@slow.test", "slow-1");
        assertThat(subjects(sink.awaitMessages(2, WAIT))).containsExactly("slow-0", "slow-1");
        assertThat(records(dir, RecordType.TransientFailure)).filteredOn(r -> r.queue().equals("slow.test") && r.firstRecipient().equals("second@slow.test"))
                .isEmpty();
    }

    @Test
    void aSetConfigLoweringTheConnectionLimitClosesConnectionsAlreadyOpenBeyondIt() throws Exception {
        // 8 recipients at once open the 4 connections allowed, which then wait, idle, for more
        SinkSessions first = idleConnectionsThenSetConfig(4, 8, "connection_limit", 1);
        assertThat(first.maxConcurrent()).as("sessions open at once").isBetween(2, 4);

        MtaFixture.sendAccepted(app, recipients("b", 4), "second");
        sink.awaitMessages(12, WAIT);
        // the open connections obey the new limit: all but one quit, and none is opened
        await().atMost(WAIT).untilAsserted(() -> {
            SinkSessions s = SinkSessions.of(sink.logText());
            assertThat(s.greetings() - s.quits()).as("sessions still open").isEqualTo(1);
        });
        SinkSessions end = SinkSessions.of(sink.logText());
        assertThat(end.greetings()).as("sessions ever").isEqualTo(first.greetings());
        assertThat(end.quits()).isEqualTo(first.greetings() - 1);
    }

    @Test
    void aSetConfigLoweringMaxDeliveriesPerConnectionAppliesToTheConnectionAlreadyOpen() throws Exception {
        SinkSessions first = idleConnectionsThenSetConfig(1, 1, "max_deliveries_per_connection", 1);
        assertThat(first.greetings()).isEqualTo(1);

        MtaFixture.sendAccepted(app, recipients("b", 3), "second");
        sink.awaitMessages(4, WAIT);
        // the idle connection (2 deliveries now, over the new 1) quits after its transaction; each of the other two
        // messages gets a connection of its own, which quits after it
        await().atMost(WAIT).untilAsserted(() -> {
            SinkSessions s = SinkSessions.of(sink.logText());
            assertThat(s.quits()).as("sessions closed").isEqualTo(3);
            assertThat(s.greetings()).as("sessions ever").isEqualTo(3);
        });
    }

    /**
     * slow.test delivers to a verbose smtp-sink, one message per transaction, over connections kept idle for minutes
     * ({@code connection_limit} of them at most); {@code n} recipients go first, then a published [TS04] deferral
     * fires {@code SetConfig name = value} and the MTA takes the new path config. Returns the sessions before it.
     */
    private SinkSessions idleConnectionsThenSetConfig(int connectionLimit, int n, String name, int value) throws Exception {
        sink = SmtpSink.builder().option("-v").start(); // logs each session's connect and QUIT
        int tsaPort = FreePorts.tcp();
        Path shapingFile = shaping(sink.port(), """
                connection_limit = %d
                max_recipients_per_batch = 1
                max_deliveries_per_connection = 100
                idle_timeout = "5m"

                [["slow.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = {SetConfig = {name = "%s", value = %d}}
                duration = "1h"
                """.formatted(connectionLimit, name, value), "");
        tsa = startTsa(tsaPort, shapingFile);
        app = MtaFixture.start(policy(tsaPort));
        await().atMost(WAIT).until(() -> !policyLines("subscribed").isEmpty());
        MtaFixture.sendAccepted(app, recipients("a", n), "first");
        sink.awaitMessages(n, WAIT);
        SinkSessions first = SinkSessions.of(sink.logText());
        assertThat(first.quits()).as("idle, not closed").isZero();

        // the rule fires; the MTA takes the overlay and moves its config epoch
        publishTs04Deferral(tsaPort);
        await().atMost(WAIT).until(() -> !policyLines("shaping data changed").isEmpty());
        return first;
    }

    @Test
    void anMtaWhoseTsaIsDownKeepsDeliveringLogsItOnceAndCatchesUpWhenItIsBack() throws Exception {
        sink = SmtpSink.start();
        FreePorts.Held down = FreePorts.hold(); // refuses connections, and no parallel test class takes it meanwhile
        int tsaPort = down.port();
        // a rule on every delivery to fast.test, so that each of its records is published
        Path shapingFile = shaping(sink.port(), "", """
                [["fast.test".automation]]
                regex = "^250"
                action = {SetConfig = {name = "max_message_rate", value = "100/s"}}
                duration = "1h"
                """);
        app = MtaFixture.start(policy(tsaPort));

        for (int i = 1; i <= 3; i++) {
            MtaFixture.sendAccepted(app, "user" + i + "@fast.test", "fast-" + i);
        }
        assertThat(subjects(sink.awaitMessages(3, WAIT))).containsExactly("fast-1", "fast-2", "fast-3");
        // the publisher keeps the records queued (retried every second) and the subscriber keeps reconnecting
        String tsaQueue = "http://127.0.0.1:" + tsaPort + ".tsa.kumomta";
        await().atMost(WAIT).until(() -> records(dir, RecordType.TransientFailure).stream()
                .filter(r -> r.queue().equals(tsaQueue)).count() >= 6);
        Thread.sleep(4_000); // at least two more reconnection attempts (back-off 1 s, 2 s, 2 s, ...)
        assertThat(policyLines("unreachable")).hasSize(1);
        assertThat(policyLines("unreachable").getFirst()).contains("http://127.0.0.1:" + tsaPort);

        down.release();
        tsa = startTsa(tsaPort, shapingFile);
        await().atMost(WAIT).until(() -> !policyLines("reachable again").isEmpty());
        // the three records queued while it was down reach it now: nothing was dropped
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).stream()
                .filter(r -> r.queue().equals(tsaQueue)).count() == 3);
        assertThat(tsa.state().live(TsaItem.ConfigOverride.class)).extracting(TsaItem.ConfigOverride::domain)
                .containsOnly("fast.test");
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        assertThat(policyLines("unreachable")).hasSize(1);
    }

    @Test
    void anMtaThatSubscribesGetsTheSuspensionsAlreadyInForce() throws Exception {
        sink = SmtpSink.start();
        deferring = AiosmtpdSink.builder().start(); // accepts everything: only the suspension holds slow.test
        int tsaPort = startTsaSuspendingSlowTestOnTs04("1h");
        // another MTA published a [TS04] deferral before this one started
        publishTs04Deferral(tsaPort);
        assertThat(tsa.state().live(TsaItem.ReadyQSuspension.class)).hasSize(1);

        app = MtaFixture.start(policy(tsaPort));
        // on connecting, the daemon sends what is in force, and the MTA applies it
        await().atMost(WAIT).until(() -> !suspensionLines("unspecified->mx.slow.test@smtp_client ").isEmpty());
        MtaFixture.sendAccepted(app, "user@slow.test", "slow-1");
        MtaFixture.sendAccepted(app, "user@fast.test", "fast-1");
        assertThat(subjects(sink.awaitMessages(1, WAIT))).containsExactly("fast-1");
        Thread.sleep(3_000); // several retry intervals (1 s) of the held message
        assertThat(deferring.messages()).isEmpty();
        assertThat(records(dir, RecordType.Delivery)).filteredOn(r -> r.queue().equals("slow.test")).isEmpty();
    }
}
