package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * KumoMTA's admin routes for bounces and suspensions on the MTA's HTTP listener, called with curl and KumoMTA's
 * documented request bodies; messages go to real sinks (Postfix's smtp-sink).
 */
class AdminHttpTest extends AdminTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    private void start(String trustedHosts) throws Exception {
        sink = SmtpSink.start();
        other = SmtpSink.start();
        Files.writeString(dir.resolve("policy.lua"), AdminFixture.policy(dir, sink.port(), FreePorts.tcp(),
                other.port(), "kumo.start_http_listener { listen = '127.0.0.1:0', trusted_hosts = { '%s' } }"
                        .formatted(trustedHosts), """
                kumo.on('http_server_validate_auth_basic', function(user, password)
                  return user == 'ops' and password == 'secret'
                end)
                kumo.on('rebind_message', function(msg, data)
                  if data.move_to then msg:set_meta('queue', data.move_to) end
                end)
                """));
        app = MtaFixture.start(dir.resolve("policy.lua"));
    }

    record Reply(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    /** curl {@code method path} with a JSON body (null: none). */
    private Reply curl(String method, String path, String body, String... extra) {
        List<String> args = new ArrayList<>(List.of("-s", "-X", method, "-w", "\n%{http_code}"));
        if (body != null) {
            args.addAll(List.of("-H", "Content-Type: application/json", "--data", body));
        }
        args.addAll(List.of(extra));
        args.add("http://" + MtaFixture.hostPort(app.httpAddresses().getFirst()) + path);
        ToolResult r = CommandTool.CURL.run(args.toArray(String[]::new));
        String out = r.stdout();
        int nl = out.lastIndexOf('\n');
        return new Reply(Integer.parseInt(out.substring(nl + 1).strip()), out.substring(0, nl));
    }

    @Test
    void bounceRouteBouncesWhatIsQueuedAndWhatArrivesListsCountsAndCancels() throws Exception {
        start("127.0.0.1");
        MtaFixture.sendAccepted(app, "a@stuck.test", "one");
        MtaFixture.sendAccepted(app, "b@stuck.test", "two");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 2);

        Reply posted = curl("POST", "/api/admin/bounce/v1",
                "{\"domain\": \"stuck.test\", \"reason\": \"Cleaning up a bad send\", \"duration\": \"20m\"}");

        assertThat(posted.status()).as(posted.body()).isEqualTo(200);
        String id = posted.json().path("id").asText();
        assertThat(posted.json().path("total_bounced").asInt()).isZero();
        assertThat(posted.json().path("bounced").isObject()).isTrue();
        await().atMost(WAIT).until(() -> records(RecordType.AdminBounce, "stuck.test").size() == 2);
        MtaFixture.sendAccepted(app, "c@stuck.test", "after");
        MtaFixture.sendAccepted(app, "d@example.test", "delivered");
        await().atMost(WAIT).until(() -> records(RecordType.AdminBounce, "stuck.test").size() == 3);
        sink.awaitMessages(1, WAIT);
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        assertThat(records(RecordType.AdminBounce, "stuck.test")).allSatisfy(r -> assertThat(r.response().content())
                .isEqualTo("Administrator bounced with reason: Cleaning up a bad send"));

        JsonNode list = curl("GET", "/api/admin/bounce/v1", null).json();
        assertThat(list).hasSize(1);
        assertThat(list.get(0).path("id").asText()).isEqualTo(id);
        assertThat(list.get(0).path("domain").asText()).isEqualTo("stuck.test");
        assertThat(list.get(0).path("campaign").isNull()).isTrue();
        assertThat(list.get(0).path("reason").asText()).isEqualTo("Cleaning up a bad send");
        assertThat(list.get(0).path("bounced").path("stuck.test").asInt()).isEqualTo(3);
        assertThat(list.get(0).path("total_bounced").asInt()).isEqualTo(3);
        assertThat(list.get(0).path("duration").asText()).matches("1?\\d+m \\d+s|20m");

        Reply cancelled = curl("DELETE", "/api/admin/bounce/v1", "{\"id\": \"" + id + "\"}");
        Reply again = curl("DELETE", "/api/admin/bounce/v1", "{\"id\": \"" + id + "\"}");
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.body()).contains("bounce entry " + id + " not found");
        assertThat(curl("GET", "/api/admin/bounce/v1", null).body()).isEqualTo("[]");
    }

    @Test
    void suspendRoutesHoldAScheduledQueueAndAReadyQueueUntilDeleted() throws Exception {
        start("127.0.0.1");
        String expires = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
        Reply suspended = curl("POST", "/api/admin/suspend/v1",
                "{\"domain\": \"example.test\", \"reason\": \"pause while working on a block\", \"duration\": \"1h\"}");
        Reply readySuspended = curl("POST", "/api/admin/suspend-ready-q/v1", "{\"name\": \"unspecified->mx_list:127.0.0.1:"
                + other.port() + "@smtp_client\", \"reason\": \"too many deferrals\", \"expires\": \"" + expires + "\"}");
        assertThat(suspended.status()).as(suspended.body()).isEqualTo(200);
        assertThat(readySuspended.status()).as(readySuspended.body()).isEqualTo(200);

        MtaFixture.sendAccepted(app, "a@example.test", "held by the scheduled queue suspension");
        MtaFixture.sendAccepted(app, "b@other.test", "held by the ready queue suspension");
        await().atMost(WAIT).until(() -> app.queues().snapshot().size() == 2);
        JsonNode summary = JSON.readTree(curl("GET", "/api/admin/queue-summary/v1", null).body());
        assertThat(summary.path("suspended").path("example.test").asText()).isEqualTo("pause while working on a block");
        JsonNode ready = curl("GET", "/api/admin/suspend-ready-q/v1", null).json();
        assertThat(ready).hasSize(1);
        assertThat(ready.get(0).path("expires").asText()).isEqualTo(expires);
        assertThat(ready.get(0).path("reason").asText()).isEqualTo("too many deferrals");
        JsonNode sched = curl("GET", "/api/admin/suspend/v1", null).json();
        assertThat(sched.get(0).path("domain").asText()).isEqualTo("example.test");
        assertThat(curl("GET", "/metrics", null).body()).contains("admin_entries{kind=\"suspend\"} 1.0")
                .contains("admin_entries{kind=\"suspend_ready_q\"} 1.0");
        assertThat(sink.messages()).isEmpty();
        assertThat(other.messages()).isEmpty();

        assertThat(curl("DELETE", "/api/admin/suspend/v1", "{\"id\": \"" + suspended.json().path("id").asText()
                + "\"}").status()).isEqualTo(200);
        sink.awaitMessages(1, WAIT);
        assertThat(other.messages()).isEmpty();
        assertThat(curl("DELETE", "/api/admin/suspend-ready-q/v1", "{\"id\": \""
                + readySuspended.json().path("id").asText() + "\"}").status()).isEqualTo(200);
        other.awaitMessages(1, WAIT);
        await().atMost(WAIT).until(() -> MtaFixture.records(dir, RecordType.Delivery).size() == 2);
        assertThat(MtaFixture.records(dir, RecordType.TransientFailure)).isEmpty();
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND)).isEmpty();
    }

    @Test
    void badBodiesGetAClearErrorAndChangeNothing() throws Exception {
        start("127.0.0.1");

        Reply noReason = curl("POST", "/api/admin/bounce/v1", "{\"domain\": \"x.test\"}");
        Reply typo = curl("POST", "/api/admin/suspend/v1", "{\"domian\": \"x.test\", \"reason\": \"r\"}");
        Reply badDuration = curl("POST", "/api/admin/suspend-ready-q/v1",
                "{\"name\": \"a->b\", \"reason\": \"r\", \"duration\": \"soon\"}");
        Reply notJson = curl("POST", "/api/admin/bounce/v1", "{");
        Reply form = curl("POST", "/api/admin/bounce/v1", null, "--data", "reason=x");
        Reply badId = curl("DELETE", "/api/admin/bounce/v1", "{\"id\": \"nope\"}");

        assertThat(noReason.status()).isEqualTo(400);
        assertThat(noReason.body()).contains("'reason' is required");
        assertThat(typo.status()).isEqualTo(400);
        assertThat(typo.body()).contains("unknown key 'domian'");
        assertThat(badDuration.status()).isEqualTo(400);
        assertThat(badDuration.body()).contains("duration").contains("soon");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(form.status()).isEqualTo(415);
        assertThat(badId.status()).isEqualTo(400);
        assertThat(app.admin().list(AdminControl.Kind.BOUNCE)).isEmpty();
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND)).isEmpty();
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND_READY_Q)).isEmpty();
    }

    @Test
    void untrustedPeersAreRefusedUnlessThePolicyAcceptsTheirCredentials() throws Exception {
        start("192.0.2.1");
        String body = "{\"reason\": \"everything\"}";

        Reply anonymous = curl("POST", "/api/admin/bounce/v1", body);
        Reply list = curl("GET", "/api/admin/suspend/v1", null);
        Reply wrong = curl("POST", "/api/admin/suspend-ready-q/v1", "{\"name\": \"a->b\", \"reason\": \"r\"}",
                "-u", "ops:guess");

        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(list.status()).isEqualTo(401);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(app.admin().list(AdminControl.Kind.BOUNCE)).isEmpty();
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND_READY_Q)).isEmpty();

        Reply accepted = curl("POST", "/api/admin/suspend-ready-q/v1", "{\"name\": \"a->b\", \"reason\": \"r\"}",
                "-u", "ops:secret");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
        assertThat(app.admin().list(AdminControl.Kind.SUSPEND_READY_Q)).hasSize(1);
    }

    @Test
    void inspectRoutesShowAQueuedMessageItsQueuesAndTheirReadyQueueStates() throws Exception {
        start("127.0.0.1");
        MtaFixture.sendAccepted(app, "a@stuck.test", "first look");
        MtaFixture.sendAccepted(app, "b@stuck.test", "second look");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 2);
        String id = records(RecordType.TransientFailure, "stuck.test").getFirst().id();

        Reply message = curl("GET", "/api/admin/inspect-message/v1?id=" + id + "&want_body=true", null);
        Reply metaOnly = curl("GET", "/api/admin/inspect-message/v1?id=" + id, null);
        Reply unknown = curl("GET", "/api/admin/inspect-message/v1?id=0123456789abcdef0123456789abcdef", null);
        Reply noId = curl("GET", "/api/admin/inspect-message/v1", null);

        assertThat(message.status()).as(message.body()).isEqualTo(200);
        JsonNode m = message.json();
        assertThat(m.path("id").asText()).isEqualTo(id);
        assertThat(m.path("message").path("sender").asText()).isEqualTo("sender@example.test");
        assertThat(m.path("message").path("recipient").asText()).endsWith("@stuck.test");
        assertThat(m.path("message").path("num_attempts").asInt()).isEqualTo(1);
        assertThat(Instant.parse(m.path("message").path("due").asText())).isAfter(Instant.now().plusSeconds(600));
        assertThat(m.path("message").path("meta").isObject()).isTrue();
        assertThat(m.path("message").path("data").asText()).contains("Subject: ").contains("look");
        assertThat(metaOnly.json().path("message").has("data")).isFalse();
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(noId.status()).isEqualTo(400);
        assertThat(noId.body()).contains("'id' is required");

        Reply sched = curl("GET", "/api/admin/inspect-sched-q/v1?queue_name=stuck.test&limit=1&want_body=true", null);
        assertThat(sched.status()).as(sched.body()).isEqualTo(200);
        assertThat(sched.json().path("queue_name").asText()).isEqualTo("stuck.test");
        assertThat(sched.json().path("num_scheduled").asInt()).isEqualTo(2);
        assertThat(sched.json().path("queue_config").path("retry_interval").asText()).isEqualTo("1h");
        assertThat(sched.json().path("messages")).hasSize(1);
        assertThat(sched.json().path("messages").get(0).path("message").path("data").asText()).contains("look");
        assertThat(curl("GET", "/api/admin/inspect-sched-q/v1?queue_name=stuck.test", null).json()
                .path("messages")).hasSize(2);

        JsonNode states = curl("GET", "/api/admin/ready-q-states/v1", null).json().path("states_by_ready_queue");
        String readyName = states.fieldNames().next();
        assertThat(readyName).startsWith("unspecified->mx_list:127.0.0.1:").endsWith("@smtp_client");
        assertThat(states.path(readyName).path("connection_count").asInt()).isZero();
        assertThat(curl("POST", "/api/admin/suspend-ready-q/v1", "{\"name\": \"" + readyName
                + "\", \"reason\": \"looking into it\", \"duration\": \"10m\"}").status()).isEqualTo(200);
        JsonNode suspended = curl("GET", "/api/admin/ready-q-states/v1?queues=" + readyName, null).json()
                .path("states_by_ready_queue").path(readyName);
        assertThat(suspended.path("suspended").path("reason").asText()).isEqualTo("looking into it");

        Reply ready = curl("GET", "/api/admin/inspect-ready-q/v1?queue_name=" + readyName, null);
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        assertThat(ready.json().path("egress_source").asText()).isEqualTo("unspecified");
        assertThat(ready.json().path("path_config").path("connection_limit").asInt()).isPositive();
        assertThat(ready.json().path("state").path("suspended").path("reason").asText()).isEqualTo("looking into it");
        assertThat(curl("GET", "/api/admin/inspect-ready-q/v1?queue_name=nosuch", null).status()).isEqualTo(404);
    }

    @Test
    void inspectRoutesAnswerOnlyTrustedHostsAndAcceptedCredentials() throws Exception {
        start("192.0.2.1");
        MtaFixture.sendAccepted(app, "a@stuck.test", "private");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 1);
        String path = "/api/admin/inspect-message/v1?want_body=true&id="
                + records(RecordType.TransientFailure, "stuck.test").getFirst().id();

        assertThat(curl("GET", path, null).status()).isEqualTo(401);
        assertThat(curl("GET", "/api/admin/inspect-sched-q/v1?queue_name=stuck.test", null).status()).isEqualTo(401);
        assertThat(curl("GET", "/api/admin/ready-q-states/v1", null).status()).isEqualTo(401);
        assertThat(curl("GET", "/api/admin/inspect-ready-q/v1?queue_name=x", null).status()).isEqualTo(401);
        Reply accepted = curl("GET", path, null, "-u", "ops:secret");
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(accepted.json().path("message").path("data").asText()).contains("private");
    }

    @Test
    void setDiagnosticLogFilterChangesTheLevelsAtRunTimeAndRefusesABadFilter() throws Exception {
        start("127.0.0.1");
        var sluice = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.sluice");
        var root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        var rootBefore = root.getLevel();
        try {
            Reply set = curl("POST", "/api/admin/set_diagnostic_log_filter/v1", "{\"filter\": \"kumod=trace\"}");
            assertThat(set.status()).as(set.body()).isEqualTo(200);
            assertThat(set.json().path("filter").asText()).isEqualTo("kumod=trace");
            assertThat(sluice.isTraceEnabled()).isTrue();

            Reply bad = curl("POST", "/api/admin/set_diagnostic_log_filter/v1", "{\"filter\": \"kumod=loud\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("'loud'");
            assertThat(sluice.isTraceEnabled()).as("a refused filter changes nothing").isTrue();

            assertThat(curl("POST", "/api/admin/set_diagnostic_log_filter/v1", "{\"filter\": \"error\"}").status())
                    .isEqualTo(200);
            assertThat(sluice.isTraceEnabled()).as("the next filter replaces the last").isFalse();
            assertThat(sluice.isWarnEnabled()).isFalse();
        } finally {
            sluice.setLevel(null);
            root.setLevel(rootBefore);
        }
    }

    @Test
    void rebindRequeuesMatchingMessagesUnderTheirNewMetaOrThroughRebindMessage() throws Exception {
        start("127.0.0.1");
        MtaFixture.sendAccepted(app, "a@stuck.test", "set meta");
        MtaFixture.sendAccepted(app, "b@stuck.test", "set meta");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 2);

        Reply direct = curl("POST", "/api/admin/rebind/v1", "{\"domain\": \"stuck.test\", \"reason\": \"send them "
                + "elsewhere\", \"data\": {\"queue\": \"example.test\"}, \"trigger_rebind_event\": false}");

        assertThat(direct.status()).as(direct.body()).isEqualTo(200);
        assertThat(direct.json().path("rebound").asInt()).isEqualTo(2);
        sink.awaitMessages(2, WAIT);
        await().atMost(WAIT).until(() -> records(RecordType.AdminRebind, "stuck.test").size() == 2); // written async
        assertThat(records(RecordType.AdminRebind, "stuck.test")).hasSize(2).allSatisfy(r ->
                assertThat(r.response().content()).contains("send them elsewhere"));

        MtaFixture.sendAccepted(app, "c@stuck.test", "by the event");
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure, "stuck.test").size() == 3);
        Reply event = curl("POST", "/api/admin/rebind/v1", "{\"domain\": \"stuck.test\", \"reason\": \"r\", "
                + "\"data\": {\"move_to\": \"other.test\"}, \"trigger_rebind_event\": true, "
                + "\"suppress_logging\": true}");
        assertThat(event.status()).as(event.body()).isEqualTo(200);
        assertThat(other.awaitMessages(1, WAIT).getFirst().rcptTo().getFirst()).contains("c@stuck.test");
        assertThat(records(RecordType.AdminRebind, "stuck.test")).hasSize(2);

        Reply noData = curl("POST", "/api/admin/rebind/v1", "{\"reason\": \"r\"}");
        assertThat(noData.status()).isEqualTo(400);
        assertThat(noData.body()).contains("'data' is required");
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
    }
}
