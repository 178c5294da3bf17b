package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code kumo.reject(code, text)} in the reception events, seen from swaks and curl. */
class KumoRejectTest extends MtaAppTestBase {
    /** A KumoMTA-style policy that rejects by the recipient's user part. */
    private static final String REJECTING = """
            local function decide(msg)
              local user = msg:recipient().user
              if user == 'perm' then kumo.reject(550, '5.7.1 no thanks') end
              if user == 'plain' then kumo.reject(554, 'go away') end
              if user == 'temp' then kumo.reject(452, '4.2.2 mailbox full, later') end
            end
            """;

    private ToolResult swaks(String to) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", to, "--helo", "client.test");
    }

    @Test
    void smtpReplyIsExactlyWhatThePolicyRejectedWith() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", REJECTING + """
                kumo.on('smtp_server_message_received', function(msg, conn_meta) decide(msg) end)
                """));

        ToolResult perm = swaks("perm@example.test");
        ToolResult plain = swaks("plain@example.test");
        ToolResult temp = swaks("temp@example.test");

        assertThat(perm.ok()).isFalse();
        assertThat(perm.stdout()).contains("<** 550 5.7.1 no thanks");
        assertThat(plain.stdout()).contains("<** 554 go away");
        assertThat(temp.stdout()).contains("<** 452 4.2.2 mailbox full, later");
        assertThat(perm.stdout() + plain.stdout() + temp.stdout()).doesNotContain("4.3.0");
        assertThat(app.spool().count()).isZero();
        await().atMost(WAIT).until(() -> records(dir, RecordType.Rejection).size() == 3);
        assertThat(records(dir, RecordType.Rejection)).extracting(r -> r.response().code())
                .containsExactlyInAnyOrder(550, 554, 452);

        // a recipient the policy does not reject is accepted and delivered
        assertThat(swaks("fine@example.test").ok()).isTrue();
        sink.awaitMessages(1, WAIT);
    }

    @Test
    void oneRejectedRecipientFailsTheWholeTransactionAndNothingIsStored() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", REJECTING + """
                kumo.on('smtp_server_message_received', function(msg, conn_meta) decide(msg) end)
                """));

        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "first@example.test,temp@example.test,last@example.test",
                "--helo", "client.test");

        assertThat(r.stdout()).contains("<** 452 4.2.2 mailbox full, later");
        // the recipient before the refused one was not stored either: a retry would deliver it twice
        assertThat(app.spool().count()).isZero();
        await().atMost(WAIT).until(() -> records(dir, RecordType.Rejection).size() == 1);
        assertThat(records(dir, RecordType.Reception)).isEmpty();
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void plainErrorStillDefersWith451() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg, conn_meta) error('lookup failed') end)
                """));

        ToolResult r = swaks("any@example.test");

        assertThat(r.stdout()).containsPattern("<\\*\\* +451 4\\.3\\.0 .*lookup failed");
    }

    @Test
    void httpInjectCountsARejectedRecipientAsFailedWithTheText() throws Exception {
        sink = SmtpSink.start();
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString()).replace("PORT", String.valueOf(sink.port()))
                + REJECTING + "kumo.on('http_message_generated', function(msg) decide(msg) end)\n");
        app = MtaFixture.start(policy);
        String url = "http://" + hostPort(app.httpAddresses().getFirst()) + "/api/inject/v1";

        ToolResult r = CommandTool.CURL.run("-s", "-H", "Content-Type: application/json", "--data",
                "{\"envelope_sender\": \"noreply@example.test\", \"content\": \"Subject: hi\\r\\n\\r\\nhello\","
                        + " \"recipients\": [{\"email\": \"perm@example.test\"}, {\"email\": \"ok@example.test\"}]}",
                url);

        assertThat(r.stdout()).contains("\"success_count\":1").contains("\"fail_count\":1")
                .contains("perm@example.test: 550 5.7.1 no thanks");
        assertThat(sink.awaitMessages(1, WAIT).getFirst().rcptTo().getFirst()).contains("ok@example.test");
    }
}
