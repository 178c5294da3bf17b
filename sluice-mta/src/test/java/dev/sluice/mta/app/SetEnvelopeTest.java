package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code msg:set_sender} and {@code msg:set_recipient} in a reception event change the envelope that is delivered. */
class SetEnvelopeTest extends MtaAppTestBase {
    @Test
    void theEnvelopeSetByThePolicyIsWhatIsQueuedDeliveredAndLogged() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg)
                  if msg:recipient().user == 'alias' then
                    msg:set_recipient('real.person@Elsewhere.test')
                    msg:set_sender(string.format('bounce-%s@bounces.example', msg:id()))
                  end
                  if msg:recipient().user == 'bad' then
                    msg:set_recipient('not an address')
                  end
                end)
                """));
        MtaFixture.sendAccepted(app, "alias@example.test", "rewritten");

        DumpedMessage got = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(got.rcptTo()).singleElement().asString().contains("real.person@Elsewhere.test");
        assertThat(got.mailFrom()).contains("bounce-").contains("@bounces.example");
        await().atMost(WAIT).until(() -> !MtaFixture.records(dir, RecordType.Delivery).isEmpty());
        LogRecord delivery = MtaFixture.records(dir, RecordType.Delivery).getFirst();
        assertThat(delivery.recipient()).isEqualTo(List.of("real.person@Elsewhere.test"));
        assertThat(delivery.queue()).isEqualTo("elsewhere.test");

        var bad = dev.sluice.testkit.CommandTool.SWAKS.run("--server", MtaFixture.hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to", "bad@example.test");
        assertThat(bad.ok()).isFalse();
        assertThat(bad.stdout()).contains("451 4.3.0").contains("msg:set_recipient: 'not an address' is not an email address");
    }
}
