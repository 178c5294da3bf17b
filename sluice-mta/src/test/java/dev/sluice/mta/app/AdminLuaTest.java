package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.SmtpSink;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code kumo.api.admin.*} called by the policy (from {@code smtp_server_mail_from}: a MAIL FROM
 * {@code <op@control.test>} runs the operation {@code op} and answers 451 with its result), acting on a running
 * MTA: real sinks (Postfix's smtp-sink), a domain whose only MX refuses connections to keep messages queued.
 */
class AdminLuaTest extends AdminTestBase {
    private int dead;

    /**
     * stuck.test goes to a port where nothing listens (retry in 1 h), other.test to the second sink, everything else
     * to the first; {@code ops} are Lua functions by name.
     */
    private void start(String ops) throws Exception {
        sink = SmtpSink.start();
        other = SmtpSink.start();
        dead = FreePorts.tcp();
        Files.writeString(dir.resolve("policy.lua"), policy(ops));
        app = MtaFixture.start(dir.resolve("policy.lua"));
    }

    private String policy(String ops) {
        return AdminFixture.policy(dir, sink.port(), dead, other.port(), "", """
                local ops = {
                  %s
                }
                kumo.on('smtp_server_mail_from', function(sender)
                  if sender.domain == 'control.test' then
                    kumo.reject(451, 'result ' .. tostring(ops[sender.user]()))
                  end
                end)
                """.formatted(ops));
    }

    /** Runs operation {@code op} in the policy; returns what it returned. */
    private String lua(String op) throws IOException {
        InetSocketAddress server = app.esmtpAddresses().getFirst();
        try (Socket socket = new Socket(server.getAddress(), server.getPort())) {
            socket.setSoTimeout(30_000);
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            lastLine(in);
            out.write("EHLO client.test\r\n".getBytes(StandardCharsets.UTF_8));
            lastLine(in);
            out.write(("MAIL FROM:<" + op + "@control.test>\r\n").getBytes(StandardCharsets.UTF_8));
            String reply = lastLine(in);
            assertThat(reply).as("reply to MAIL FROM for %s", op).startsWith("451 ");
            return reply.substring(reply.indexOf("result ") + "result ".length());
        }
    }

    private static String lastLine(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    @Test
    void sluiceCheckKnowsTheAdminFunctionsAndActsOnNothing() throws Exception {
        Path policy = dir.resolve("check.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = false }
                  kumo.api.admin.suspend.suspend { domain = 'example.com', reason = 'checking', duration = '1h' }
                  kumo.api.admin.bounce.bounce { domain = 'example.com', reason = 'checking' }
                  local id = kumo.api.admin.suspend_ready_q.suspend { name = 'a->b', reason = 'checking' }
                  assert(kumo.api.admin.suspend_ready_q.delete(id) == true)
                  assert(#kumo.api.admin.suspend.list() == 1 and #kumo.api.admin.bounce.list() == 1)
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%2$d' } } } }
                end)
                """.formatted(dir.toAbsolutePath(), FreePorts.tcp()));

        MtaCheck.Report report = MtaCheck.run(policy, List.of(), List.of());

        assertThat(report.errors()).isEmpty();
        assertThat(report.notDone()).noneMatch(line -> line.contains("kumo.api"));
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("check.lua");
        }
    }

    @Test
    void bounceFromThePolicyRemovesQueuedMessagesAndThoseArrivingUntilCancelled() throws Exception {
        start("""
                bounce = function()
                  return kumo.api.admin.bounce.bounce { domain = 'stuck.test', reason = 'bad send', duration = '1h' }
                end,
                list = function() return kumo.json_encode(kumo.api.admin.bounce.list()) end,
                cancel = function()
                  local n = 0
                  for _, e in ipairs(kumo.api.admin.bounce.list()) do
                    if kumo.api.admin.bounce.delete(e.id) then n = n + 1 end
                  end
                  return 'deleted ' .. n
                end,
                """);
        MtaFixture.sendAccepted(app, "a@stuck.test", "one");
        MtaFixture.sendAccepted(app, "b@stuck.test", "two");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 2);
        assertThat(app.spool().count()).isEqualTo(2);

        String id = lua("bounce");

        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        await().atMost(WAIT).until(() -> records(RecordType.AdminBounce, "stuck.test").size() == 2);
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        LogRecord bounced = records(RecordType.AdminBounce, "stuck.test").getFirst();
        assertThat(bounced.response().code()).isEqualTo(551);
        assertThat(bounced.response().content()).isEqualTo("Administrator bounced with reason: bad send");
        assertThat(bounced.queue()).isEqualTo("stuck.test");

        MtaFixture.sendAccepted(app, "c@stuck.test", "after the bounce");
        MtaFixture.sendAccepted(app, "ok@example.test", "another domain");
        await().atMost(WAIT).until(() -> records(RecordType.AdminBounce, "stuck.test").size() == 3);
        sink.awaitMessages(1, WAIT);
        assertThat(records(RecordType.TransientFailure, "stuck.test")).hasSize(2); // c never tried
        assertThat(lua("list")).contains("\"id\":\"" + id + "\"").contains("\"total_bounced\":3")
                .contains("\"bounced\":{\"stuck.test\":3}").contains("\"reason\":\"bad send\"");

        assertThat(lua("cancel")).isEqualTo("deleted 1");
        MtaFixture.sendAccepted(app, "d@stuck.test", "after the cancel");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 3);
        assertThat(records(RecordType.AdminBounce, "stuck.test")).hasSize(3);
        assertThat(app.admin().list(AdminControl.Kind.BOUNCE)).isEmpty();
    }

    @Test
    void readyQueueSuspensionStopsOneSiteWhileAnotherFlowsThenExpiresWithNothingLost() throws Exception {
        start("""
                suspend = function()
                  return kumo.api.admin.suspend_ready_q.suspend {
                    name = 'unspecified->mx_list:127.0.0.1:' .. OTHER_PORT, reason = 'tsa says slow down',
                    duration = '4s' }
                end,
                list = function() return kumo.json_encode(kumo.api.admin.suspend_ready_q.list()) end,
                """);

        java.time.Instant expires = java.time.Instant.now().plusSeconds(4); // the suspension ends at or after this
        String id = lua("suspend");
        for (int i = 0; i < 3; i++) {
            MtaFixture.sendAccepted(app, "r" + i + "@other.test", "held " + i);
            MtaFixture.sendAccepted(app, "r" + i + "@example.test", "flows " + i);
        }

        sink.awaitMessages(3, WAIT);
        String listed = lua("list");
        String summary = QueueSummaryRoutes.render(app.queues(), app.admin());
        if (java.time.Instant.now().isBefore(expires)) { // on a loaded machine the sends alone may outlast the 4 s
            assertThat(other.messages()).isEmpty();
            assertThat(listed).contains("\"id\":\"" + id + "\"").contains("\"reason\":\"tsa says slow down\"")
                    .contains("\"name\":\"unspecified->mx_list:127.0.0.1:" + other.port() + "\"");
            assertThat(summary).doesNotContain("other.test\":0");
        }

        other.awaitMessages(3, WAIT); // after the 4 s
        await().atMost(WAIT).until(() -> records(RecordType.Delivery, "other.test").size() == 3);
        assertThat(records(RecordType.TransientFailure, "other.test")).isEmpty();
        assertThat(records(RecordType.Delivery, "other.test")).allSatisfy(r -> assertThat(r.numAttempts()).isEqualTo(1))
                .allSatisfy(r -> assertThat(r.eventTime()).isAfterOrEqualTo(expires)); // none before the expiry
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND_READY_Q)).isEmpty();
        assertThat(app.spool().count()).isZero();
    }

    @Test
    void scheduledQueueSuspensionHoldsWithoutAttemptsUntilDeleted() throws Exception {
        start("""
                suspend = function()
                  return kumo.api.admin.suspend.suspend { domain = 'other.test', reason = 'postmaster call', duration = '1h' }
                end,
                cancel = function()
                  return kumo.api.admin.suspend.delete(kumo.api.admin.suspend.list()[1].id)
                end,
                """);
        lua("suspend");
        MtaFixture.sendAccepted(app, "x@other.test", "held");
        MtaFixture.sendAccepted(app, "y@other.test", "held too");
        MtaFixture.sendAccepted(app, "z@example.test", "flows");
        sink.awaitMessages(1, WAIT);
        await().atMost(WAIT).until(() -> app.queues().snapshot().getOrDefault("other.test", 0) == 2);
        assertThat(QueueSummaryRoutes.render(app.queues(), app.admin()))
                .contains("\"suspended\":{\"other.test\":\"postmaster call\"}");
        assertThat(other.messages()).isEmpty();
        assertThat(records(RecordType.TransientFailure, "other.test")).isEmpty();

        assertThat(lua("cancel")).isEqualTo("true");

        other.awaitMessages(2, WAIT);
        await().atMost(WAIT).until(() -> records(RecordType.Delivery, "other.test").size() == 2);
        assertThat(records(RecordType.Delivery, "other.test")).allSatisfy(r -> assertThat(r.numAttempts()).isEqualTo(1));
    }

    @Test
    void entriesSurviveARestartAndThoseExpiredMeanwhileAreDropped() throws Exception {
        start("""
                suspend = function()
                  return kumo.api.admin.suspend.suspend { domain = 'other.test', reason = 'long', duration = '1h' }
                end,
                short = function()
                  return kumo.api.admin.suspend_ready_q.suspend { name = 'unspecified->mx_list:x', reason = 'short',
                    duration = '2s' }
                end,
                bounce = function()
                  return kumo.api.admin.bounce.bounce { campaign = 'spam', reason = 'gone', duration = '1h' }
                end,
                """);
        String suspension = lua("suspend");
        lua("short");
        String bounce = lua("bounce");
        MtaFixture.sendAccepted(app, "x@other.test", "held across the restart");
        await().atMost(WAIT).until(() -> app.queues().snapshot().getOrDefault("other.test", 0) == 1);
        app.shutdown(Duration.ofSeconds(5));
        Thread.sleep(2_500); // the short one expires while the MTA is down

        app = MtaFixture.start(dir.resolve("policy.lua"));

        assertThat(app.admin().list(AdminControl.Kind.SUSPEND)).singleElement()
                .satisfies(e -> assertThat(e.id().toString()).isEqualTo(suspension));
        assertThat(app.admin().list(AdminControl.Kind.BOUNCE)).singleElement()
                .satisfies(e -> assertThat(e.id().toString()).isEqualTo(bounce));
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND_READY_Q)).isEmpty();
        MtaFixture.sendAccepted(app, "z@example.test", "flows");
        sink.awaitMessages(1, WAIT);
        assertThat(app.queues().snapshot()).containsEntry("other.test", 1);
        assertThat(other.messages()).isEmpty();
    }
}
