package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.WebhookServer;
import dev.sluice.testkit.SmtpSink;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code require 'policy-extras.log_hooks'}: {@code log_hooks:new_json} posts the MTA's log records to a webhook
 * (a real HTTP server on loopback), retries while it answers 5xx, gives up at once on another 4xx, and applies
 * the policy's filter.
 */
class LogHooksHelperTest extends MtaAppTestBase {
    private WebhookServer webhook;
    private final List<LogRecord> posted = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopWebhook() {
        if (webhook != null) {
            webhook.close();
        }
    }

    /** Answers {@code failures} times with {@code failStatus}, then takes every record. */
    private int startWebhook(int failures, int failStatus) {
        AtomicInteger left = new AtomicInteger(failures);
        webhook = WebhookServer.start(r -> {
            if (!r.method().equals("POST") || !r.path().equals("/log")) {
                return new WebhookServer.Reply(404, "not found");
            }
            if (left.getAndDecrement() > 0) {
                return new WebhookServer.Reply(failStatus, "not now");
            }
            posted.add(LogRecord.parse(r.bodyAsString()));
            return WebhookServer.Reply.ok("ok");
        });
        return webhook.port();
    }

    /** The hook is set up first: its get_queue_config handler answers for its queue, the general one for the rest. */
    private Path policy(int webhookPort) throws Exception {
        Path file = dir.resolve("policy.lua");
        java.nio.file.Files.writeString(file, """
                local kumo = require 'kumo'
                local log_hooks = require 'policy-extras.log_hooks'
                log_hooks:new_json {
                  name = 'webhook',
                  url = 'http://127.0.0.1:%2$d/log',
                  log_parameters = { headers = { 'Subject' } },
                  queue_config = { retry_interval = '1s', max_retry_interval = '2s' },
                  filter = function(msg, hook_name)
                    return msg:get_meta('log_record').type == 'Reception' -- true drops it
                  end,
                }
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%3$s/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = '%3$s/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%1$d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(sink.port(), webhookPort, dir.toAbsolutePath()));
        return file;
    }

    @Test
    void recordsArePostedAfterTheWebhookRecoversFromServerErrors() throws Exception {
        sink = SmtpSink.start();
        int port = startWebhook(2, 503);
        app = MtaFixture.start(policy(port));

        MtaFixture.sendAccepted(app, "one@example.test", "hooked");

        await().atMost(WAIT).until(() -> posted.size() == 1);
        assertThat(posted.getFirst().type()).isEqualTo(RecordType.Delivery);
        assertThat(posted.getFirst().firstRecipient()).isEqualTo("one@example.test");
        assertThat(posted.getFirst().headers()).containsEntry("Subject", "hooked");
        // the 503s were transient failures of the hook's own queue, not losses
        assertThat(records(dir, RecordType.TransientFailure)).filteredOn(r -> r.queue().equals("webhook.log_hook"))
                .hasSize(2).allSatisfy(r -> assertThat(r.response().content()).contains("503"));
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }

    @Test
    void aClientErrorIsPermanentForThatRecord() throws Exception {
        sink = SmtpSink.start();
        int port = startWebhook(1, 400);
        app = MtaFixture.start(policy(port));

        MtaFixture.sendAccepted(app, "one@example.test", "hooked");

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).stream()
                .anyMatch(r -> r.queue().equals("webhook.log_hook")));
        assertThat(records(dir, RecordType.Bounce)).filteredOn(r -> r.queue().equals("webhook.log_hook"))
                .singleElement().satisfies(r -> assertThat(r.response().content()).contains("400"));
        assertThat(posted).isEmpty();
    }

    @Test
    void newDispositionHookCallsItsHookForEachRecordOfAMessage() throws Exception {
        sink = SmtpSink.start();
        Path out = dir.resolve("disposed.txt");
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                local log_hooks = require 'policy-extras.log_hooks'
                log_hooks:new_disposition_hook {
                  name = 'notes',
                  hook = function(msg, record)
                    local f = assert(io.open('%s', 'a'))
                    f:write(record.type, ' ', record.recipient, ' ', msg:get_first_named_header_value('Subject'), '\\n')
                    f:close()
                  end,
                }
                """.formatted(out.toAbsolutePath())));

        MtaFixture.sendAccepted(app, "one@example.test", "noted");

        await().atMost(WAIT).until(() -> java.nio.file.Files.exists(out)
                && java.nio.file.Files.readAllLines(out).size() == 2);
        assertThat(java.nio.file.Files.readAllLines(out))
                .containsExactly("Reception one@example.test noted", "Delivery one@example.test noted");
    }

    @Test
    void newDispositionHookRefusesBadOptionsAndATakenName() throws Exception {
        for (String bad : List.of("{ name = 'x' }", "{ name = 'x', hook = 'f' }", "{ hook = function() end }",
                "{ name = 'x', hook = function() end, queue_config = {} }")) {
            Path file = dir.resolve("bad.lua");
            java.nio.file.Files.writeString(file, "local log_hooks = require 'policy-extras.log_hooks'\n"
                    + "log_hooks:new_disposition_hook " + bad + "\n");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MtaFixture.start(file))
                    .as(bad).hasMessageContaining("bad.lua:2: policy-extras.log_hooks: new_disposition_hook");
        }
        Path file = dir.resolve("taken.lua");
        java.nio.file.Files.writeString(file, """
                local log_hooks = require 'policy-extras.log_hooks'
                log_hooks:new_json { name = 'x', url = 'http://127.0.0.1:1/' }
                log_hooks:new_disposition_hook { name = 'x', hook = function() end }
                """);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MtaFixture.start(file))
                .hasMessageContaining("taken.lua:3: policy-extras.log_hooks: a log hook named 'x' is already configured");
    }
}
