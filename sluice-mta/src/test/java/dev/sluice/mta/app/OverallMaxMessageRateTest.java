package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code policy-extras.queue}'s {@code overall_max_message_rate} through {@code throttle_insert_ready_queue}: a
 * tenant limited to 10 messages a second gets about that at a real sink, and every message arrives.
 */
class OverallMaxMessageRateTest extends MtaAppTestBase {
    private static final int MESSAGES = 50;

    @Test
    void aTenantLimitedToTenASecondDeliversAboutTenASecondAndLosesNothing() throws Exception {
        sink = SmtpSink.start();
        Files.writeString(dir.resolve("queues.toml"), """
                default_tenant = "acme"
                [tenant.acme]
                overall_max_message_rate = "10/s"
                [queue.default]
                protocol = { smtp = { mx_list = ["SINK"] } }
                """.replace("SINK", "127.0.0.1:" + sink.port()));
        Path file = dir.resolve("init.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local queue_helper = require('policy-extras.queue'):setup { 'DIR/queues.toml' }
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                end)
                kumo.on('smtp_server_message_received', function(msg) queue_helper:apply(msg) end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString()));
        app = MtaFixture.start(file);
        ToolResult sent = CommandTool.SMTP_SOURCE.run("-s", "5", "-m", Integer.toString(MESSAGES), "-f", "a@example.test",
                "-t", "b@example.com", hostPort(app.esmtpAddresses().getFirst()));
        assertThat(sent.ok()).as(sent.toString()).isTrue();

        List<DumpedMessage> delivered = sink.awaitMessages(MESSAGES, Duration.ofSeconds(90));
        assertThat(delivered).hasSize(MESSAGES);
        List<Long> arrivals = new ArrayList<>();
        for (DumpedMessage m : delivered) {
            arrivals.add(Files.getLastModifiedTime(m.file()).toMillis());
        }
        arrivals.sort(null);
        double span = (arrivals.getLast() - arrivals.getFirst()) / 1000.0;
        // a burst of 10, then 10 a second: 40 more need about 4 s (unthrottled the sink gets all 50 in well under 1 s)
        assertThat(span).as("seconds from the first delivery to the last").isBetween(3.0, 30.0);
        int busiest = 0;
        for (int i = 0; i < arrivals.size(); i++) {
            int j = i;
            while (j < arrivals.size() && arrivals.get(j) - arrivals.get(i) < 2000) j++;
            busiest = Math.max(busiest, j - i);
        }
        // any two-second window: at most the burst and two seconds' worth (30), plus slack for delivery jitter
        assertThat(busiest).as("most deliveries within two seconds").isLessThanOrEqualTo(36);
        Thread.sleep(500);
        assertThat(sink.messages()).hasSize(MESSAGES); // and none twice
    }
}
