package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.RedisServer;
import dev.sluice.testkit.SinkSessions;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two MTA nodes (two {@link MtaApp}s with one policy) with {@code kumo.configure_redis_throttles} against a real
 * {@code redis-server}: the path's {@code connection_limit} and {@code max_message_rate} hold for both together at
 * one sink, and deliveries go on while Redis is killed and restarted, nothing lost or sent twice.
 */
class RedisFleetTest extends MtaAppTestBase {
    private final List<AutoCloseable> extra = new ArrayList<>();

    @AfterEach
    void stopExtra() throws Exception {
        for (int i = extra.size() - 1; i >= 0; i--) extra.get(i).close();
    }

    private MtaApp node(String name, String redisUrl, String path) throws Exception {
        return RedisNodes.start(dir, name, redisUrl, sink.port(), path, extra);
    }

    private static void send(MtaApp app, int count) {
        ToolResult sent = CommandTool.SMTP_SOURCE.run("-s", "5", "-m", Integer.toString(count), "-f", "a@example.test",
                "-t", "b@example.com", hostPort(app.esmtpAddresses().getFirst()));
        assertThat(sent.ok()).as(sent.toString()).isTrue();
    }

    private static double spanSeconds(List<DumpedMessage> delivered) throws Exception {
        long first = Long.MAX_VALUE, last = 0;
        for (DumpedMessage m : delivered) {
            long t = Files.getLastModifiedTime(m.file()).toMillis();
            first = Math.min(first, t);
            last = Math.max(last, t);
        }
        return (last - first) / 1000.0;
    }

    /** Each delivered message once: smtp-source numbers its messages per run, so the sink's files are compared. */
    private static void assertEachOnce(List<DumpedMessage> delivered, int expected) {
        assertThat(delivered).hasSize(expected);
        Set<Path> files = new HashSet<>();
        delivered.forEach(m -> files.add(m.file()));
        assertThat(files).hasSize(expected);
    }

    @Test
    void twoNodesShareTheConnectionLimitAndTheMessageRate() throws Exception {
        RedisServer redis = RedisServer.start();
        extra.add(redis);
        sink = SmtpSink.builder().option("-v").start();
        String path = "connection_limit = 2, idle_timeout = '1s', max_message_rate = '10/s'";
        MtaApp a = node("a", redis.url(), path);
        MtaApp b = node("b", redis.url(), path);
        send(a, 25);
        send(b, 25);
        List<DumpedMessage> delivered = sink.awaitMessages(50, Duration.ofSeconds(120));
        // 10/s for both together: a burst of 10, then 40 more need about 4 s (unshared: 2 x 10/s, about 1.5 s)
        assertThat(spanSeconds(delivered)).as("seconds from the first delivery to the last").isGreaterThan(3.2);
        Thread.sleep(1000);
        assertEachOnce(sink.messages(), 50);
        // connection_limit = 2 for both nodes together (unshared, each node opens 2)
        assertThat(SinkSessions.of(sink.logText()).maxConcurrent()).as("connections open at once at the sink")
                .isLessThanOrEqualTo(2);
    }

    @Test
    void redisKilledAndRestartedMidRunDeliveriesContinueNothingLost() throws Exception {
        RedisServer redis = RedisServer.start();
        int port = redis.port();
        sink = SmtpSink.start();
        MtaApp a = node("a", redis.url(), "connection_limit = 2, idle_timeout = '1s', max_message_rate = '5/s'");
        app = a;
        send(a, 40); // about 7 s at 5/s
        await().atMost(WAIT).until(() -> sink.messages().size() >= 10);
        redis.close(); // killed mid-run: the node goes on with its share of the limits
        int before = sink.messages().size();
        await().atMost(WAIT).until(() -> sink.messages().size() >= before + 5);
        assertThat(a.policy().throttles().redisUp()).isFalse();
        RedisServer again = RedisServer.builder().port(port).start();
        extra.add(again);
        await().atMost(WAIT).until(() -> a.policy().throttles().redisUp());
        List<DumpedMessage> delivered = sink.awaitMessages(40, Duration.ofSeconds(90));
        Thread.sleep(1000);
        assertEachOnce(sink.messages(), 40);
        assertThat(delivered).hasSize(40);
    }
}
