package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.admin.AdminControl;
import dev.sluice.mta.admin.AdminEntry;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.RedisServer;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two MTA nodes (two {@link MtaApp}s) with {@code kumo.configure_redis_throttles} on one real {@code redis-server}:
 * an admin suspension or bounce made on one node holds on the other (also on a node started later), its
 * cancellation propagates, and while Redis is away each node keeps its own entries, shared when Redis is back.
 */
class RedisAdminShareTest extends MtaAppTestBase {
    /** Well under {@code AdminShare.RESYNC} (5 s): what the other node sees comes through pub/sub. */
    private static final Duration PROMPT = Duration.ofSeconds(3);
    private final List<AutoCloseable> extra = new ArrayList<>();

    @AfterEach
    void stopExtra() throws Exception {
        for (int i = extra.size() - 1; i >= 0; i--) extra.get(i).close();
    }

    private MtaApp node(String name, String redisUrl) throws Exception {
        return RedisNodes.start(dir, name, redisUrl, sink.port(), "", extra);
    }

    private static void send(MtaApp app, int count) {
        ToolResult sent = CommandTool.SMTP_SOURCE.run("-m", Integer.toString(count), "-f", "a@example.test",
                "-t", "b@example.com", hostPort(app.esmtpAddresses().getFirst()));
        assertThat(sent.ok()).as(sent.toString()).isTrue();
    }

    private static List<UUID> ids(MtaApp app, AdminControl.Kind kind) {
        return app.admin().list(kind).stream().map(AdminEntry::id).toList();
    }

    private static Map<String, Object> order(String reason) {
        return Map.of("domain", "example.com", "reason", reason, "duration", "10 minutes");
    }

    @Test
    void aSuspensionOnOneNodeHoldsOnANodeStartedLaterAndItsCancellationReleasesTheMail() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        sink = SmtpSink.start();
        MtaApp a = node("a", redis.url());
        UUID id = a.admin().suspend(order("maintenance")).id();

        MtaApp b = node("b", redis.url()); // reads what is in force before it accepts mail
        assertThat(ids(b, AdminControl.Kind.SUSPEND)).containsExactly(id);
        send(b, 3);
        Thread.sleep(1500);
        assertThat(sink.messages()).as("held on node b by node a's suspension").isEmpty();

        assertThat(a.admin().delete(AdminControl.Kind.SUSPEND, id)).isTrue();
        await().atMost(PROMPT).until(() -> ids(b, AdminControl.Kind.SUSPEND).isEmpty());
        assertThat(sink.awaitMessages(3, WAIT)).hasSize(3);
    }

    @Test
    void aBounceOnOneNodeBouncesTheMatchingMailQueuedOnAnother() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        sink = SmtpSink.start();
        MtaApp a = node("a", redis.url());
        MtaApp b = node("b", redis.url());
        UUID hold = b.admin().suspend(order("hold")).id();
        await().atMost(PROMPT).until(() -> ids(a, AdminControl.Kind.SUSPEND).contains(hold));
        send(b, 3); // queued on b, held

        UUID bounce = a.admin().bounce(order("bad list")).id();
        await().atMost(PROMPT).until(() -> ids(b, AdminControl.Kind.BOUNCE).contains(bounce));
        await().atMost(WAIT).until(() -> MtaFixture.records(dir.resolve("b"), RecordType.AdminBounce).size() == 3);
        assertThat(MtaFixture.records(dir.resolve("b"), RecordType.AdminBounce))
                .allSatisfy(r -> assertThat(r.response().content()).contains("bad list"));
        assertThat(a.admin().delete(AdminControl.Kind.SUSPEND, hold)).isTrue(); // nothing is left to release
        Thread.sleep(1500);
        assertThat(sink.messages()).isEmpty();
        assertThat(b.queues().scheduled()).isZero();
    }

    @Test
    void whileRedisIsAwayEachNodeKeepsItsOwnEntriesAndSharesThemWhenRedisAnswersAgain() throws Exception {
        RedisServer redis = RedisServer.start();
        int port = redis.port();
        sink = SmtpSink.start();
        MtaApp a = node("a", redis.url());
        MtaApp b = node("b", redis.url());
        UUID before = a.admin().suspend(Map.of("domain", "before.example", "reason", "r", "duration", "10m")).id();
        await().atMost(PROMPT).until(() -> ids(b, AdminControl.Kind.SUSPEND).contains(before));
        redis.close();

        UUID during = a.admin().suspend(order("made while Redis was away")).id();
        assertThat(ids(a, AdminControl.Kind.SUSPEND)).contains(before, during); // in force on a
        send(a, 2);
        Thread.sleep(1500);
        assertThat(sink.messages()).as("held on node a").isEmpty();
        assertThat(ids(b, AdminControl.Kind.SUSPEND)).containsExactly(before); // b keeps what it had

        RedisServer again = RedisServer.builder().port(port).start(); // empty: the nodes write theirs again
        extra.add(again);
        await().atMost(WAIT).until(() -> ids(b, AdminControl.Kind.SUSPEND).contains(during));
        assertThat(ids(b, AdminControl.Kind.SUSPEND)).containsExactlyInAnyOrder(before, during);
        assertThat(b.admin().delete(AdminControl.Kind.SUSPEND, during)).isTrue();
        await().atMost(PROMPT).until(() -> !ids(a, AdminControl.Kind.SUSPEND).contains(during));
        assertThat(sink.awaitMessages(2, WAIT)).hasSize(2);
    }

    /**
     * A cancellation made while Redis is away survives a restart of its node: node a cancels, is restarted before
     * Redis answers, and Redis comes back empty; node b, which never heard of the cancellation, writes its copy of
     * the suspension back, and a's kept tombstone removes it fleet-wide instead of a taking it back.
     */
    @Test
    void aCancellationMadeWhileRedisIsAwaySurvivesARestartOfItsNode() throws Exception {
        RedisServer redis = RedisServer.start();
        int port = redis.port();
        sink = SmtpSink.start();
        MtaApp a = node("a", redis.url());
        MtaApp b = node("b", redis.url());
        UUID id = a.admin().suspend(order("maintenance")).id();
        await().atMost(PROMPT).until(() -> ids(b, AdminControl.Kind.SUSPEND).contains(id));
        redis.close();

        assertThat(a.admin().delete(AdminControl.Kind.SUSPEND, id)).isTrue();
        a.shutdown(Duration.ofSeconds(5));
        MtaApp a2 = node("a", redis.url()); // restarted while Redis is away
        assertThat(ids(a2, AdminControl.Kind.SUSPEND)).isEmpty();
        assertThat(ids(b, AdminControl.Kind.SUSPEND)).containsExactly(id); // b keeps what it had

        RedisServer again = RedisServer.builder().port(port).start(); // empty: b writes its copy back
        extra.add(again);
        await().atMost(WAIT).until(() -> ids(b, AdminControl.Kind.SUSPEND).isEmpty());
        Thread.sleep(6000); // a resync (every 5 s) of each node later, still gone
        assertThat(ids(a2, AdminControl.Kind.SUSPEND)).isEmpty();
        assertThat(ids(b, AdminControl.Kind.SUSPEND)).isEmpty();
        send(b, 2);
        assertThat(sink.awaitMessages(2, WAIT)).hasSize(2);
    }
}
