package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.PerRecipientSmtpd;
import dev.sluice.testkit.ToolResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code smtp_client_rewrite_delivery_status}: a peer answers 451 (defer*) and 550 (reject*); the policy turns
 * the 451 into a bounce and the 550 into a retry.
 */
class RewriteDeliveryStatusTest extends MtaAppTestBase {
    private PerRecipientSmtpd peer;

    @AfterEach
    void stopPeer() {
        if (peer != null) peer.close();
    }

    @Test
    void policyRewritesTheServersStatus() throws Exception {
        peer = PerRecipientSmtpd.start(1);
        app = MtaFixture.start(MtaFixture.policy(dir, peer.port(), "retry_interval = '1h',", """
                kumo.on('smtp_client_rewrite_delivery_status', function(response, domain, tenant, campaign, routing_domain)
                  if domain ~= 'example.test' or routing_domain ~= 'example.test' or tenant ~= nil or campaign ~= nil then
                    error('unexpected queue parts ' .. tostring(domain) .. ' ' .. tostring(routing_domain))
                  end
                  if response == '451 4.2.1 mailbox busy' then return 550 end
                  if response:find('^550 5%.1%.1 no such user') then return 451 end
                  return nil
                end)
                """));

        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "defer@example.test,reject@example.test,ok@example.test",
                "--helo", "client.test");
        assertThat(r.ok()).as(r.describe()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1
                && records(dir, RecordType.TransientFailure).size() == 1 && records(dir, RecordType.Delivery).size() == 1);
        LogRecord bounce = records(dir, RecordType.Bounce).getFirst();
        assertThat(bounce.firstRecipient()).isEqualTo("defer@example.test");
        assertThat(bounce.response().code()).isEqualTo(550);
        assertThat(bounce.response().content()).isEqualTo("mailbox busy (kumomta: status was rewritten from 451 -> 550)");
        assertThat(bounce.response().enhancedCode()).hasToString("4.2.1");
        LogRecord deferred = records(dir, RecordType.TransientFailure).getFirst();
        assertThat(deferred.firstRecipient()).isEqualTo("reject@example.test");
        assertThat(deferred.response().code()).isEqualTo(451);
        assertThat(deferred.response().content()).endsWith("(kumomta: status was rewritten from 550 -> 451)");
        // the bounced message left the spool; the one rewritten to 451 waits for its retry
        await().atMost(WAIT).until(() -> app.spool().count() == 1);
    }

    @Test
    void nilOrAFailingHandlerKeepsTheServersStatus() throws Exception {
        peer = PerRecipientSmtpd.start(1);
        app = MtaFixture.start(MtaFixture.policy(dir, peer.port(), "retry_interval = '1h',", """
                kumo.on('smtp_client_rewrite_delivery_status', function(response)
                  if response:find('^451') then error('policy bug') end
                  return nil
                end)
                """));

        assertThat(CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "defer@example.test,reject@example.test", "--helo", "client.test").ok())
                .isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1
                && records(dir, RecordType.TransientFailure).size() == 1);
        assertThat(records(dir, RecordType.Bounce).getFirst().response().content()).isEqualTo("no such user");
        assertThat(records(dir, RecordType.TransientFailure).getFirst().response().content()).isEqualTo("mailbox busy");
    }
}
