package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code require 'policy-extras.shaping'}: a shaping.toml block for one domain sets the egress path of every
 * domain on the same MX site (port, TLS, rate, connections), as the MTA's deliveries show; a bad file stops the
 * start naming the file and block.
 */
class ShapingHelperTest extends MtaAppTestBase {
    /** shaped.test and hosted.test share one MX host, which is the sink (on 127.0.0.1). */
    private static final String ZONE = """
            $ORIGIN test.
            shaped    MX 10 mx.sink.test.
            hosted    MX 10 mx.sink.test.
            mx.sink   A 127.0.0.1
            alpha     MX 10 mx-a.pool.sink.test.
            beta      MX 10 mx-b.pool.sink.test.
            mx-a.pool.sink  A 127.0.0.1
            mx-b.pool.sink  A 127.0.0.1
            """;

    private Path policy(String shapingToml, String setup) throws Exception {
        String d = dir.toAbsolutePath().toString();
        Files.writeString(dir.resolve("shaping.toml"), shapingToml.replace("SINK_PORT", String.valueOf(sink.port())));
        Path file = dir.resolve("init.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local shaping = require 'policy-extras.shaping'
                kumo.dns.configure_test_resolver { [==[ZONE]==] }
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                end)
                SETUP
                """.replace("SETUP", setup).replace("ZONE", ZONE).replace("DIR", d));
        return file;
    }

    private List<LogRecord> awaitDeliveries(int n) {
        await().atMost(WAIT).until(() -> MtaFixture.records(dir, RecordType.Delivery).size() == n);
        return MtaFixture.records(dir, RecordType.Delivery);
    }

    /** From the first delivery record to the last. */
    private static Duration span(List<LogRecord> records) {
        List<Instant> times = records.stream().map(LogRecord::eventTime).sorted().toList();
        return Duration.between(times.getFirst(), times.getLast());
    }

    private boolean send(String to) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to", to).ok();
    }

    @Test
    void aRolledUpDomainBlockShapesDeliveryToEveryDomainOfItsSite() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                ["default"]
                prohibited_hosts = []

                ["shaped.test"]
                smtp_port = SINK_PORT
                enable_tls = "Disabled"
                connection_limit = 1
                max_message_rate = "2/s"
                """, "kumo.on('get_egress_path_config', shaping:setup { 'DIR/shaping.toml' })"));
        int n = 5;
        for (int i = 0; i < n; i++) {
            assertThat(send("user" + i + "@hosted.test")).isTrue();
        }
        // the sink listens on its own port, which only the shaping block gives: delivery proves it applied
        assertThat(sink.awaitMessages(n, WAIT)).hasSize(n);
        List<LogRecord> delivered = awaitDeliveries(n);
        assertThat(delivered).allSatisfy(r -> {
            assertThat(r.site()).contains("mx.sink.test");
            assertThat(r.tlsProtocolVersion()).isNull();
        });
        // max_message_rate 2/s: a burst of 2, then one every 0.5 s: the last ~1.5 s after the first tokens (the
        // first delivery also waited for the connection, so its record is a little later)
        assertThat(span(delivered)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }

    @Test
    void aProvidersMessageRateIsSharedByAllOfItsSites() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                ["default"]
                prohibited_hosts = []
                enable_tls = "Disabled"
                smtp_port = SINK_PORT

                [provider."pool"]
                match = [{MXSuffix = ".pool.sink.test"}]
                provider_max_message_rate = "2/s"
                """, "kumo.on('get_egress_path_config', shaping:setup { 'DIR/shaping.toml' })"));
        // one reception, six recipients on two sites (two ready queues) of the same provider
        assertThat(CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test",
                "--to", "a1@alpha.test,a2@alpha.test,a3@alpha.test,b1@beta.test,b2@beta.test,b3@beta.test").ok()).isTrue();
        List<LogRecord> delivered = awaitDeliveries(6);
        assertThat(delivered).extracting(LogRecord::site).containsOnly("mx-a.pool.sink.test", "mx-b.pool.sink.test")
                .contains("mx-a.pool.sink.test", "mx-b.pool.sink.test");
        // shared 2/s: a burst of 2, then 4 more every 0.5 s (2 s after the first tokens; the first records also
        // waited for their connections); each site on its own rate would be done 0.5 s after its burst
        assertThat(span(delivered)).isGreaterThanOrEqualTo(Duration.ofMillis(1100));
    }

    @Test
    void aBadShapingFileStopsTheStartNamingTheFileAndBlock() throws Exception {
        sink = SmtpSink.start();
        Path file = policy("""
                [["shaped.test".automation]]
                regex = "\\\\[TS04\\\\]"
                action = "Suspend"
                """, "kumo.on('get_egress_path_config', shaping:setup { 'DIR/shaping.toml' })");
        assertThatThrownBy(() -> app = MtaFixture.start(file))
                .hasMessageContaining(dir.resolve("shaping.toml") + ": [[\"shaped.test\".automation]] #1: ")
                .hasMessageContaining("'duration' is required");
    }

    @Test
    void twoDomainBlocksOnOneMxSiteStopTheStart() throws Exception {
        sink = SmtpSink.start();
        Path file = policy("""
                ["shaped.test"]
                connection_limit = 2

                ["hosted.test"]
                connection_limit = 3
                """, "kumo.on('get_egress_path_config', shaping:setup { 'DIR/shaping.toml' })");
        assertThatThrownBy(() -> app = MtaFixture.start(file))
                .hasMessageContaining("policy-extras.shaping: domain blocks [\"shaped.test\"], [\"hosted.test\"] roll up to the same MX site");
    }

    @Test
    void aMistakeInTheAutomationOptionsStopsTheStartAtItsLine() throws Exception {
        sink = SmtpSink.start();
        Path noScheme = policy("", """
                local shaper = shaping:setup_with_automation {
                  publish = { '127.0.0.1:8008' }, subscribe = { 'http://127.0.0.1:8008' },
                }
                """);
        assertThatThrownBy(() -> app = MtaFixture.start(noScheme)).hasMessageContaining("init.lua:")
                .hasMessageContaining("publish entries are http(s) URLs of a TSA daemon, got '127.0.0.1:8008'");
        Path typo = policy("", """
                local shaper = shaping:setup_with_automation { subscribe = { 'http://127.0.0.1:8008' }, extra_file = {} }
                """);
        assertThatThrownBy(() -> app = MtaFixture.start(typo)).hasMessageContaining("init.lua:")
                .hasMessageContaining("setup_with_automation: unknown option 'extra_file'");
    }

    @Test
    void automationOptionsSluiceDoesNotImplementStopTheStartAtTheirLineOrBlock() throws Exception {
        sink = SmtpSink.start();
        for (String[] c : new String[][] {
            {"subscribe = { 'http://127.0.0.1:8008' }, additional_skip_log_record_types = { 'Bounced' }",
                "additional_skip_log_record_types: 'Bounced' is not a log record type"},
            {"publish = { 'http://127.0.0.1:8008' }, tsa_queue_config = { shrink_policy = {} }",
                "tsa_queue_config: 'shrink_policy' is not implemented by Sluice"}}) {
            Path file = policy("", "local shaper = shaping:setup_with_automation { " + c[0] + " }\n");
            assertThatThrownBy(() -> app = MtaFixture.start(file)).as(c[0])
                    .hasMessageMatching("(?s).*init\\.lua:\\d+: .*").hasMessageContaining(c[1]);
        }
        // a SetConfig of a path option Sluice accepts but does not act on would fire and change nothing
        Path ignoredOption = policy("""
                ["shaped.test"]
                [["shaped.test".automation]]
                regex = "RL0000"
                action = {SetConfig = {name = "consecutive_connection_failures_before_delay", value = 2}}
                duration = "1h"
                """, "kumo.on('get_egress_path_config', shaping:setup { 'DIR/shaping.toml' })");
        assertThatThrownBy(() -> app = MtaFixture.start(ignoredOption))
                .hasMessageContaining(dir.resolve("shaping.toml") + ": [[\"shaped.test\".automation]] #1: action SetConfig: "
                        + "'consecutive_connection_failures_before_delay' is a path option Sluice accepts but does not act on");
    }
}
