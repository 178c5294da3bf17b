package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code msg:set_scheduling} and {@code msg:import_scheduling_header} act on when a message is delivered or expires. */
class ScheduledDeliveryTest extends MtaAppTestBase {
    private void send(String lua, String... extra) throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", lua));
        List<String> args = new java.util.ArrayList<>(List.of("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "alice@example.org", "--to", "bob@example.test", "--body", "scheduled"));
        args.addAll(List.of(extra));
        ToolResult r = CommandTool.SWAKS.run(args.toArray(String[]::new));
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    @Test
    void noAttemptBeforeFirstAttempt() throws Exception {
        send("""
                kumo.on('smtp_server_message_received', function(msg)
                  local first = os.date('!%Y-%m-%dT%H:%M:%SZ', os.time() + 5)
                  local s = msg:set_scheduling { first_attempt = first }
                  msg:append_header('X-First-Attempt', s.first_attempt)
                  msg:append_header('X-Received-At', os.date('!%Y-%m-%dT%H:%M:%SZ'))
                end)
                """);
        DumpedMessage got = sink.awaitMessages(1, WAIT).getFirst();
        Instant firstAttempt = Instant.parse(got.header("X-First-Attempt").orElseThrow());
        Instant receivedAt = Instant.parse(got.header("X-Received-At").orElseThrow());
        assertThat(firstAttempt).isEqualTo(receivedAt.plusSeconds(5));
        await().atMost(WAIT).until(() -> !records(dir, RecordType.Delivery).isEmpty());
        LogRecord delivery = records(dir, RecordType.Delivery).getFirst();
        assertThat(delivery.timestamp()).isAfterOrEqualTo(firstAttempt);
        assertThat(records(dir, RecordType.TransientFailure)).isEmpty(); // waiting is not a failed attempt
    }

    @Test
    void theScheduleIsSpooledAndHoldsAfterARestart() throws Exception {
        send("""
                kumo.on('smtp_server_message_received', function(msg)
                  local s = msg:set_scheduling { first_attempt = os.date('!%Y-%m-%dT%H:%M:%SZ', os.time() + 8) }
                  msg:append_header('X-First-Attempt', s.first_attempt)
                end)
                """);
        app.shutdown(java.time.Duration.ofSeconds(5));
        app = MtaFixture.start(dir.resolve("policy.lua"));
        DumpedMessage got = sink.awaitMessages(1, WAIT).getFirst();
        Instant firstAttempt = Instant.parse(got.header("X-First-Attempt").orElseThrow());
        await().atMost(WAIT).until(() -> !records(dir, RecordType.Delivery).isEmpty());
        assertThat(records(dir, RecordType.Delivery).getFirst().timestamp()).isAfterOrEqualTo(firstAttempt);
    }

    @Test
    void anExpiredScheduleFromAHeaderExpiresTheMessageAndTheHeaderIsRemoved() throws Exception {
        send("""
                kumo.on('smtp_server_message_received', function(msg)
                  local s = msg:import_scheduling_header('X-Schedule', true)
                  assert(s.expires == '2020-01-01T00:00:00Z', tostring(s.expires))
                  assert(msg:get_first_named_header_value('X-Schedule') == nil)
                  assert(msg:import_scheduling_header('X-Absent') == nil)
                end)
                """, "--add-header", "X-Schedule: {\"expires\": \"2020-01-01T00:00:00Z\"}");
        await().atMost(WAIT).until(() -> !records(dir, RecordType.Expiration).isEmpty());
        LogRecord expired = records(dir, RecordType.Expiration).getFirst();
        assertThat(expired.response().content()).contains("scheduled expiry 2020-01-01T00:00Z");
        assertThat(sink.messages()).isEmpty();
        assertThat(records(dir, RecordType.Delivery)).isEmpty();
    }

    @Test
    void aBadScheduleHeaderFailsTheEventWithTheReason() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('smtp_server_message_received', function(msg)
                  msg:import_scheduling_header('X-Schedule')
                end)
                """));
        ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "alice@example.org", "--to", "bob@example.test",
                "--add-header", "X-Schedule: {\"dow\": \"Mon\"}");
        assertThat(r.stdout()).contains("451 4.3.0 error in policy:").contains("policy.lua:")
                .contains("header X-Schedule: a delivery window needs all of dow, tz, start and end; missing tz, start, end");
    }
}
