package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import org.junit.jupiter.api.Test;

/** KumoMTA's documented use of {@code msg:check_fix_conformance}: reject what is checked, fix what is listed. */
class CheckFixConformanceTest extends MtaAppTestBase {
    @Test
    void aCheckedIssueIsRejectedAndAFixedOneIsDeliveredFixed() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg)
                  local failed = msg:check_fix_conformance('LINE_TOO_LONG', 'MISSING_MIME_VERSION')
                  if failed then
                    kumo.reject(552, string.format('5.6.0 %s', failed))
                  end
                end)
                """));
        String server = hostPort(app.esmtpAddresses().getFirst());
        ToolResult rejected = CommandTool.SWAKS.run("--server", server, "--from", "alice@example.org",
                "--to", "bob@example.test", "--body", "x".repeat(120));
        assertThat(rejected.stdout()).contains("552 5.6.0 Message has conformance issues: LINE_TOO_LONG");

        ToolResult accepted = CommandTool.SWAKS.run("--server", server, "--from", "alice@example.org",
                "--to", "bob@example.test", "--body", "short lines");
        assertThat(accepted.ok()).as(accepted.describe()).isTrue();
        DumpedMessage got = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(got.header("MIME-Version")).contains("1.0");
        assertThat(sink.messages()).hasSize(1);
    }
}
