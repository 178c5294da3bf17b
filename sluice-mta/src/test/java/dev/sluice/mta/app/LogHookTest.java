package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.WebhookServer;
import dev.sluice.testkit.SmtpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kumo.configure_log_hook} + {@code should_enqueue_log_record} + a {@code custom_lua} queue: log records
 * are POSTed as JSON to a real HTTP server (the JDK's, loopback), as KumoMTA's webhooks are.
 */
class LogHookTest extends MtaAppTestBase {
    private WebhookServer webhook;
    private final List<LogRecord> posted = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopWebhook() {
        if (webhook != null) {
            webhook.close();
        }
    }

    private void startWebhook(int port) {
        webhook = WebhookServer.start(port, r -> {
            if (!r.method().equals("POST") || !r.path().equals("/log")) {
                return new WebhookServer.Reply(404, "not found");
            }
            if (!"application/json".equals(r.header("content-type"))) {
                return new WebhookServer.Reply(415, "json only");
            }
            posted.add(LogRecord.parse(r.bodyAsString()));
            return WebhookServer.Reply.ok("ok");
        });
    }

    /** Mail to example.test goes to the sink, mail to nowhere.test to a closed port (TransientFailure). */
    private Path policy(int sinkPort, int webhookPort) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                  kumo.configure_log_hook { name = 'webhook', headers = { 'Subject' } }
                end)
                kumo.on('should_enqueue_log_record', function(msg, hook_name)
                  local record = msg:get_meta 'log_record'
                  if hook_name ~= 'webhook' or record.queue == 'webhook' then
                    return false
                  end
                  if record.type == 'TransientFailure' then
                    return false -- only final outcomes and receptions
                  end
                  msg:set_meta('queue', 'webhook')
                  return true
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  if domain == 'webhook' then
                    return kumo.make_queue_config {
                      retry_interval = '1s',
                      max_retry_interval = '2s',
                      protocol = { custom_lua = { constructor = 'make.webhook' } },
                    }
                  end
                  local port = domain == 'nowhere.test' and CLOSED or SINK
                  return kumo.make_queue_config {
                    retry_interval = '1h',
                    protocol = { smtp = { mx_list = { '127.0.0.1:' .. port } } },
                  }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString()).replace("SINK", String.valueOf(sinkPort))
                .replace("CLOSED", String.valueOf(FreePorts.tcp()))
                + MtaFixture.webhookConstructor("http://127.0.0.1:" + webhookPort + "/log", "application/json", 500, ""));
        return file;
    }

    private void send(String to) {
        MtaFixture.sendAccepted(app, to, "hooked");
    }

    @Test
    void receptionAndDeliveryRecordsArePostedAsJsonAndTheFilterDropsTransientFailures() throws Exception {
        sink = SmtpSink.start();
        int port = FreePorts.tcp();
        startWebhook(port);
        app = MtaFixture.start(policy(sink.port(), port));

        send("one@example.test");
        send("two@nowhere.test");

        await().atMost(WAIT).until(() -> posted.size() == 3);
        assertThat(posted).extracting(r -> r.type() + " " + r.firstRecipient()).containsExactlyInAnyOrder(
                "Reception one@example.test", "Delivery one@example.test", "Reception two@nowhere.test");
        assertThat(posted).allSatisfy(r -> assertThat(r.headers()).containsEntry("Subject", "hooked"));
        // the filtered kind happened (it is in the local log) but was not posted
        await().atMost(WAIT).until(() -> records(dir, RecordType.TransientFailure).stream()
                .anyMatch(r -> r.firstRecipient().equals("two@nowhere.test")));
        // the webhook's own deliveries are logged locally, never posted (no record about a record)
        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).stream()
                .filter(r -> r.queue().equals("webhook")).count() == 3);
        Thread.sleep(500);
        assertThat(posted).hasSize(3);
    }

    @Test
    void aWebhookThatIsDownGetsItsBacklogQueuedAndDeliveredOnceItIsUp() throws Exception {
        sink = SmtpSink.start();
        int port = FreePorts.tcp(); // nothing listens there yet
        app = MtaFixture.start(policy(sink.port(), port));

        send("one@example.test");
        sink.awaitMessages(1, WAIT);

        // Reception and Delivery wait in the scheduled queue 'webhook', retried, visible like any queue
        await().atMost(WAIT).until(() -> app.queues().snapshot().getOrDefault("webhook", 0) == 2);
        assertThat(QueueSummaryRoutes.render(app.queues(), dev.sluice.mta.queue.AdminRules.NONE, app.enumeration())).contains("\"webhook\":2");
        assertThat(records(dir, RecordType.TransientFailure)).filteredOn(r -> r.queue().equals("webhook"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.response().content())
                        .contains("custom_lua make.webhook failed").contains("127.0.0.1:" + port));

        startWebhook(port);

        await().atMost(WAIT).until(() -> posted.size() == 2);
        assertThat(posted).extracting(r -> r.type() + " " + r.firstRecipient())
                .containsExactlyInAnyOrder("Reception one@example.test", "Delivery one@example.test");
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }
}
