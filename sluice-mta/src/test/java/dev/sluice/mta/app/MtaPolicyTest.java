package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Policy-driven behaviour of the assembled MTA: relay per domain, HTTP injection, prohibited hosts, pool WRR. */
class MtaPolicyTest extends MtaAppTestBase {
    private Path write(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "local kumo = require 'kumo'\n" + lua.replace("DIR", dir.toAbsolutePath().toString()));
        return file;
    }

    private ToolResult swaks(String to) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", to);
    }

    @Test
    void relayIsDecidedPerDomainByGetListenerDomain() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(write("""
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = {} }
                end)
                kumo.on('get_listener_domain', function(domain, listener, conn_meta)
                  if domain == 'allowed.test' then return kumo.make_listener_domain { relay_to = true } end
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(sink.port())));

        ToolResult denied = swaks("rcpt@denied.test");
        ToolResult allowed = swaks("rcpt@allowed.test");

        assertThat(denied.ok()).isFalse();
        assertThat(denied.stdout()).containsPattern("<\\*\\* +5\\d\\d");
        assertThat(allowed.ok()).as(allowed.describe()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT).getFirst().rcptTo().getFirst()).contains("rcpt@allowed.test");
    }

    @Test
    void httpInjectionRunsHttpMessageGeneratedAndDelivers() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(write("""
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs', meta = { 'tenant' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('http_message_generated', function(msg, auth)
                  msg:set_meta('tenant', 'web')
                  msg:append_header('X-Injected-By', auth)
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(sink.port())));
        String url = "http://" + hostPort(app.httpAddresses().getFirst()) + "/api/inject/v1";

        ToolResult r = CommandTool.CURL.run("-s", "-H", "Content-Type: application/json", "--data",
                "{\"envelope_sender\": \"noreply@example.test\", \"content\": \"Subject: hi\\r\\n\\r\\nhello\","
                        + " \"recipients\": [{\"email\": \"web@example.test\"}]}", url);

        assertThat(r.stdout()).contains("\"success_count\":1");
        var got = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(got.header("X-Injected-By")).contains("127.0.0.1");
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 1);
        LogRecord reception = records(dir, RecordType.Reception).getFirst();
        assertThat(reception.queue()).isEqualTo("web@example.test");
        assertThat(reception.receptionProtocol()).isEqualTo("HTTP");
        assertThat(reception.meta()).containsEntry("tenant", "web");
        String metrics = CommandTool.CURL.run("-s", "http://" + hostPort(app.httpAddresses().getFirst()) + "/metrics")
                .stdout();
        assertThat(metrics).contains("message_outcomes_total{source=\"unspecified\",type=\"Delivery\"} 1.0")
                .contains("scheduled_count 0.0");
    }

    @Test
    void destinationOnlyOnProhibitedHostsBounces550() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(write("""
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%d' } } } }
                end)
                """.formatted(sink.port())));

        assertThat(swaks("rcpt@example.test").ok()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1);
        LogRecord bounce = records(dir, RecordType.Bounce).getFirst();
        assertThat(bounce.response().code()).isEqualTo(550);
        assertThat(bounce.response().content()).contains("prohibited");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void poolWeightsSplitDeliveriesBetweenSources() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(write("""
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                  kumo.define_egress_source { name = 'ip-2', source_address = '127.0.0.2' }
                  kumo.define_egress_source { name = 'ip-3', source_address = '127.0.0.3' }
                  kumo.define_egress_source { name = 'ip-4', source_address = '127.0.0.4' }
                  kumo.define_egress_pool { name = 'pool', entries = {
                    { name = 'ip-2', weight = 5 }, { name = 'ip-3', weight = 2 }, { name = 'ip-4', weight = 3 } } }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { egress_pool = 'pool',
                    protocol = { smtp = { mx_list = { '127.0.0.1:%d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(sink.port())));

        // 100 messages in one transaction: ten full WRR rounds of 5/2/3
        var args = new java.util.ArrayList<>(java.util.List.of("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to"));
        args.add(String.join(",", java.util.stream.IntStream.range(0, 100).mapToObj(i -> "r" + i + "@example.test").toList()));
        // swaks would list all 100 in one To: line, longer than line_length_hard_limit (998)
        args.addAll(java.util.List.of("--header", "To: undisclosed-recipients:;"));
        ToolResult r = CommandTool.SWAKS.run(args);
        assertThat(r.ok()).as(r.describe()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 100);
        Map<String, Long> bySource = records(dir, RecordType.Delivery).stream()
                .collect(Collectors.groupingBy(LogRecord::egressSource, Collectors.counting()));
        assertThat(bySource).containsExactlyInAnyOrderEntriesOf(Map.of("ip-2", 50L, "ip-3", 20L, "ip-4", 30L));
        // each delivery left from its source's address, as the sink saw it (recipients batch per source)
        Map<String, Long> byAddress = sink.messages().stream()
                .collect(Collectors.groupingBy(m -> m.clientAddr(), Collectors.summingLong(m -> m.rcptTo().size())));
        assertThat(byAddress).containsExactlyInAnyOrderEntriesOf(Map.of("127.0.0.2", 50L, "127.0.0.3", 20L,
                "127.0.0.4", 30L));
        records(dir, RecordType.Delivery).forEach(d -> assertThat(d.sourceAddress().address())
                .startsWith(Map.of("ip-2", "127.0.0.2:", "ip-3", "127.0.0.3:", "ip-4", "127.0.0.4:")
                        .get(d.egressSource())));
    }

    @Test
    void spoolDiskBelowMinFreeSpaceRefusesMailWith452() throws Exception {
        app = MtaFixture.start(write("""
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false, min_free_space = '100%' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                """));

        ToolResult r = swaks("rcpt@example.test");

        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).containsPattern("<\\*\\* +452 4\\.3\\.1");
        assertThat(app.spool().count()).isZero();
    }
}
