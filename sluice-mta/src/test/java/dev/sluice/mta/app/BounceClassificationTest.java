package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.policy.PolicyException;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.PerRecipientSmtpd;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kumo.configure_bounce_classifier}: a peer that answers 550 and 451 by recipient, and the Bounce and
 * TransientFailure records carry the categories of a rules file written here.
 */
class BounceClassificationTest extends MtaAppTestBase {
    private PerRecipientSmtpd peer;

    @AfterEach
    void stopPeer() {
        if (peer != null) peer.close();
    }

    private Path rules() throws Exception {
        // PerRecipientSmtpd answers reject* with "550 5.1.1 no such user" and defer* with "451 4.2.1 mailbox busy"
        return Files.writeString(dir.resolve("rules.toml"), """
                [rules]
                InvalidRecipient = [ "^5\\\\d\\\\d 5\\\\.1\\\\.1 no such user$" ]
                QuotaIssues = [
                  "^4\\\\d\\\\d 4\\\\.2\\\\.[12] .*busy", # a busy mailbox: try later
                ]
                """);
    }

    /** The fixture's policy with the classifier configured in its {@code init}. */
    private Path policy(int port, String queueExtra, Path rules) throws Exception {
        Path file = MtaFixture.policy(dir, port, queueExtra, "");
        String init = "kumo.on('init', function()\n";
        String lua = Files.readString(file);
        assertThat(lua).contains(init);
        return Files.writeString(file, lua.replace(init, init + """
                  kumo.configure_bounce_classifier { files = { '%s' }, cache_size = 10 }
                """.formatted(rules)));
    }

    @Test
    void bounceAndTransientFailureRecordsCarryTheCategory() throws Exception {
        peer = PerRecipientSmtpd.start(1);
        app = MtaFixture.start(policy(peer.port(), "retry_interval = '1h',", rules()));

        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "reject@example.test,defer@example.test,other@example.test",
                "--helo", "client.test");
        assertThat(r.ok()).as(r.describe()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1
                && records(dir, RecordType.TransientFailure).size() == 1 && records(dir, RecordType.Delivery).size() == 1);
        LogRecord bounce = records(dir, RecordType.Bounce).getFirst();
        assertThat(bounce.response().code()).isEqualTo(550);
        assertThat(bounce.bounceClassification()).isEqualTo("InvalidRecipient");
        LogRecord deferred = records(dir, RecordType.TransientFailure).getFirst();
        assertThat(deferred.response().code()).isEqualTo(451);
        assertThat(deferred.bounceClassification()).isEqualTo("QuotaIssues");
        assertThat(records(dir, RecordType.Delivery).getFirst().bounceClassification()).isEqualTo("Uncategorized");
    }

    @Test
    void aResponseNoRuleMatchesIsUncategorized() throws Exception {
        Path rules = Files.writeString(dir.resolve("other.json"), "{\"rules\": {\"SpamBlock\": [\"spam\"]}}");
        peer = PerRecipientSmtpd.start(1);
        app = MtaFixture.start(policy(peer.port(), "", rules));

        assertThat(CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "reject@example.test", "--helo", "client.test").ok()).isTrue();

        await().atMost(WAIT).until(() -> records(dir, RecordType.Bounce).size() == 1);
        assertThat(records(dir, RecordType.Bounce).getFirst().bounceClassification()).isEqualTo("Uncategorized");
    }

    @Test
    void aBadRulesFileFailsTheStartWithFileAndLine() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.toml"), "[rules]\nInvalidRecipient = [ '(' ]\n");
        Path policy = policy(25, "", bad);
        assertThatThrownBy(() -> MtaFixture.start(policy)).isInstanceOf(PolicyException.class)
                .hasMessageContaining("policy.lua:").hasMessageContaining("bad.toml")
                .hasMessageContaining("rules.InvalidRecipient");
    }
}
