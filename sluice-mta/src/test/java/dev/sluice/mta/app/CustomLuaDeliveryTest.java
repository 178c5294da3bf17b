package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.WebhookServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code protocol = {custom_lua = {constructor = 'make.webhook'}}}: the policy's connection POSTs each message to
 * a real HTTP server (the JDK's, loopback) with kumo.http; its answer decides Delivery, TransientFailure or Bounce.
 */
class CustomLuaDeliveryTest extends MtaAppTestBase {
    private WebhookServer webhook;
    private final List<String> posted = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @AfterEach
    void stopWebhook() {
        if (webhook != null) {
            webhook.close();
        }
    }

    /** Answers 500 to the first POST for flaky@, 200 to everything else; records what it got. */
    private String startWebhook() {
        webhook = WebhookServer.start(r -> {
            if (!r.method().equals("POST") || !r.path().equals("/hook")) {
                return new WebhookServer.Reply(404, "not found");
            }
            String rcpt = r.header("x-recipient");
            int n = calls.computeIfAbsent(rcpt, k -> new AtomicInteger()).incrementAndGet();
            if (rcpt.startsWith("flaky@") && n == 1) {
                return new WebhookServer.Reply(500, "try later");
            }
            posted.add(rcpt + " " + r.header("content-type") + " " + r.bodyAsString().contains("Subject: webhook test"));
            return WebhookServer.Reply.ok("stored " + rcpt);
        });
        return webhook.url("/hook");
    }

    private Path policy(String url) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  return kumo.make_queue_config {
                    retry_interval = '1s',
                    protocol = { custom_lua = { constructor = 'make.webhook' } },
                  }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString())
                + MtaFixture.webhookConstructor(url, "message/rfc822", 451, """
                        if message:recipient().user == 'refused' then
                          kumo.reject(550, '5.7.1 not wanted at ' .. domain)
                        end"""));
        return file;
    }

    private void send(String to) {
        MtaFixture.sendAccepted(app, to, "webhook test");
    }

    @Test
    void eachMessageIsPostedByThePolicyAndLoggedLikeAnSmtpDelivery() throws Exception {
        app = MtaFixture.start(policy(startWebhook()));

        send("ok@example.test");
        send("flaky@example.test");
        send("refused@example.test");

        await().atMost(WAIT).until(() -> records(dir, RecordType.Delivery).size() == 2
                && records(dir, RecordType.Bounce).size() == 1 && app.spool().count() == 0);
        assertThat(posted).containsExactlyInAnyOrder("ok@example.test message/rfc822 true",
                "flaky@example.test message/rfc822 true");

        LogRecord ok = byRecipient(RecordType.Delivery, "ok@example.test");
        assertThat(ok.response().code()).isEqualTo(200);
        assertThat(ok.response().content()).isEqualTo("200 stored ok@example.test");
        assertThat(ok.deliveryProtocol()).isEqualTo("Lua");
        assertThat(ok.peerAddress().name()).isEqualTo("Lua via make.webhook");
        assertThat(ok.queue()).isEqualTo("example.test");
        assertThat(ok.egressSource()).isEqualTo("unspecified");
        assertThat(ok.numAttempts()).isEqualTo(1);

        // 500 from the webhook: kumo.reject(451) → retried after retry_interval, then delivered
        LogRecord deferred = byRecipient(RecordType.TransientFailure, "flaky@example.test");
        assertThat(deferred.response().code()).isEqualTo(451);
        assertThat(deferred.response().content()).isEqualTo("500 try later");
        assertThat(byRecipient(RecordType.Delivery, "flaky@example.test").numAttempts()).isEqualTo(2);

        // kumo.reject(550) in send: a Bounce with exactly that reply, never posted, gone from the spool
        LogRecord bounce = byRecipient(RecordType.Bounce, "refused@example.test");
        assertThat(bounce.response().code()).isEqualTo(550);
        assertThat(bounce.response().content()).isEqualTo("5.7.1 not wanted at example.test");
        assertThat(calls).doesNotContainKey("refused@example.test");
    }

    @Test
    void aLuaErrorInSendIsATransientFailureNamingTheError() throws Exception {
        app = MtaFixture.start(policy("http://127.0.0.1:1/hook")); // nothing listens on port 1

        send("ok@example.test");

        await().atMost(WAIT).until(() -> !records(dir, RecordType.TransientFailure).isEmpty());
        LogRecord r = records(dir, RecordType.TransientFailure).getFirst();
        assertThat(r.response().content()).contains("custom_lua make.webhook failed: ")
                .contains("error sending request for url (http://127.0.0.1:1/hook): cannot connect to 127.0.0.1:1");
        assertThat(app.spool().count()).isEqualTo(1);
    }

    private LogRecord byRecipient(RecordType type, String recipient) {
        return records(dir, type).stream().filter(r -> r.firstRecipient().equals(recipient)).findFirst().orElseThrow();
    }
}
