package dev.sluice.cli;

import static dev.sluice.cli.MtaRoutesTest.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Dnsmasq;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery by MX, as the default policy does, with dnsmasq as the resolver: curl injects over HTTP
 * to a recipient in mx.test, whose MX points at the sink's host; no mx_list anywhere.
 */
class MtaMxTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    @Test
    void httpInjectedMessageIsDeliveredToTheDomainsMxFoundThroughDnsmasq() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Dnsmasq dns = peers.add(Dnsmasq.builder().mx("mx.test", "sink.mx.test", 10)
                .hostRecord("sink.mx.test", "127.0.0.1").start());
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = true }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.dns.configure_resolver { name_servers = { '%2$s' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', smtp_port = %3$d }
                end)
                """.formatted(dir.toAbsolutePath(), dns.hostPort(), sink.port()));
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString())
                .workDir(dir).start());

        ToolResult r = CommandTool.CURL.run("-sS", "--max-time", "30", "-H", "Content-Type: application/json",
                "--data", "{\"envelope_sender\": \"noreply@example.test\", \"content\": "
                        + "\"Subject: by mx\\r\\nX-Test-Id: mx-1\\r\\n\\r\\nhello\\r\\n\","
                        + " \"recipients\": [{\"email\": \"user@mx.test\"}]}",
                "http://" + hostPort(mta.httpListener()) + "/api/inject/v1");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("\"success_count\":1").contains("\"fail_count\":0");
        DumpedMessage m = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(m.header("X-Test-Id")).contains("mx-1");
        assertThat(m.rcptTo()).singleElement().asString().contains("user@mx.test");
        await().atMost(WAIT).until(() -> records(RecordType.Delivery).size() == 1);
        LogRecord delivery = records(RecordType.Delivery).getFirst();
        assertThat(delivery.queue()).isEqualTo("mx.test");
        // the site is named after the MX host the resolver returned, not after a configured list
        assertThat(delivery.site()).contains("sink.mx.test");
        assertThat(delivery.peerAddress().addr()).isEqualTo("127.0.0.1");
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }
}
