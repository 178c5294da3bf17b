package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.RedisFleetPolicy;
import dev.sluice.testkit.RedisServer;
import dev.sluice.testkit.SinkSessions;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's fleet: three {@code bin/sluice mta} processes with one policy ({@code connection_limit = 5}, shared through
 * one {@code redis-server} by {@code kumo.configure_redis_throttles}) deliver to one verbose smtp-sink that answers
 * DATA after a second (so that every node has mail waiting and wants all its connections): the sink never has more
 * than 5 sessions open at once (unshared it has 15), and every message arrives exactly once. 45 messages by default:
 * smtp-sink's delay holds its whole (single-threaded) loop, so it takes about a message a second (the issue says
 * 3,000: {@code -Dfleet.messages=3000} with a patient {@code awaitMessages}, about an hour). And a node killed with
 * SIGKILL while it holds every lease gives its connections to another node only when the leases expire.
 */
class MtaFleetProcessTest {
    private static final int MESSAGES = Integer.getInteger("fleet.messages", 45);
    /**
     * The sink's DATA delay in seconds for the connection-limit test. 0 with the 3,000 messages
     * ({@code -Dfleet.messages=3000 -Dfleet.dataDelay=0}): sessions are short then, but the three nodes still each
     * want their 5 connections for a backlog of 1,000.
     */
    private static final int DATA_DELAY = Integer.getInteger("fleet.dataDelay", 1);
    private static final int NODES = 3;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private SluiceProcess node(int n, String redisUrl, int sinkPort) throws Exception {
        return node(n, redisUrl, sinkPort, "10s");
    }

    private SluiceProcess node(int n, String redisUrl, int sinkPort, String leaseDuration) throws Exception {
        return node(n, redisUrl, sinkPort, leaseDuration,
                "connection_limit = 5, idle_timeout = '1s', max_deliveries_per_connection = 20");
    }

    private SluiceProcess node(int n, String redisUrl, int sinkPort, String leaseDuration, String path)
            throws Exception {
        Path d = dir.resolve("node-" + n);
        Path policy = RedisFleetPolicy.write(d, redisUrl, leaseDuration, sinkPort, path);
        return MtaTestPolicy.start(peers, d, policy);
    }

    private static void inject(SluiceProcess node, String prefix, int count) {
        try (SmtpInjector in = new SmtpInjector(node.listener("esmtp").orElseThrow())) {
            for (int i = 0; i < count; i++) {
                assertThat(in.sendMessage("a@example.test", "b@example.com", prefix + i)).isEqualTo(250);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theConnectionsOfANodeKilledWithSigkillComeBackToTheOthersAtLeaseExpiryNotBefore() throws Exception {
        RedisServer redis = peers.add(RedisServer.start());
        SmtpSink sink = peers.add(SmtpSink.builder().option("-v").dataDelay(1).start());
        SluiceProcess a = node(0, redis.url(), sink.port(), "6s");
        SluiceProcess b = node(1, redis.url(), sink.port(), "6s");
        // far more than a's 5 connections carry at the sink's pace (about one a second): a holds all 5 leases
        CompletableFuture<Void> toA = CompletableFuture.runAsync(() -> inject(a, "a", 60));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (SinkSessions.of(sink.logText()).greetings() < 5 && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(SinkSessions.of(sink.logText()).greetings()).as("node a's connections").isGreaterThanOrEqualTo(5);
        inject(b, "b", 3);
        Thread.sleep(2000);
        assertThat(sink.messages()).as("nothing of b's while a holds every lease")
                .noneMatch(m -> m.header("X-Seq").orElse("").startsWith("b"));

        ProcessHandle jvm = ProcessHandle.of(a.pid()).orElseThrow();
        assertThat(jvm.info().command().orElse("")).endsWith("java"); // bin/sluice execs java: this is the MTA
        assertThat(jvm.destroyForcibly()).isTrue(); // SIGKILL: no lease given back
        long killed = System.nanoTime();
        toA.exceptionally(e -> null); // its client loses the connection
        deadline = killed + 60_000_000_000L;
        while (sink.messages().stream().noneMatch(m -> m.header("X-Seq").orElse("").startsWith("b"))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        double seconds = (System.nanoTime() - killed) / 1e9;
        // a's leases were renewed every 2 s until the kill, so each had more than 3.5 s left: b waits that long
        assertThat(seconds).as("seconds from the kill to node b's first delivery").isBetween(3.0, 20.0);
        deadline = System.nanoTime() + 60_000_000_000L;
        while (sink.messages().stream().filter(m -> m.header("X-Seq").orElse("").startsWith("b")).count() < 3
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(sink.messages().stream().filter(m -> m.header("X-Seq").orElse("").startsWith("b"))).hasSize(3);
    }

    @Test
    void threeNodesNeverOpenMoreThanFiveConnectionsTogetherAndDeliverEachMessageOnce() throws Exception {
        RedisServer redis = peers.add(RedisServer.start());
        SmtpSink.Builder sinkBuilder = SmtpSink.builder().option("-v");
        if (DATA_DELAY > 0) sinkBuilder.dataDelay(DATA_DELAY);
        SmtpSink sink = peers.add(sinkBuilder.start());
        List<SluiceProcess> nodes = new ArrayList<>();
        for (int n = 0; n < NODES; n++) nodes.add(node(n, redis.url(), sink.port()));

        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
            int node = n;
            var server = nodes.get(n).listener("esmtp").orElseThrow();
            clients.add(CompletableFuture.runAsync(() -> {
                try (SmtpInjector in = new SmtpInjector(server)) {
                    for (int i = node; i < MESSAGES; i += NODES) {
                        assertThat(in.sendMessage("a@example.test", "b@example.com", "m" + i)).isEqualTo(250);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        clients.forEach(CompletableFuture::join);

        List<DumpedMessage> delivered = sink.awaitMessages(MESSAGES, Duration.ofSeconds(60 + MESSAGES / 2));
        Thread.sleep(2000); // anything sent twice would show now
        Map<String, Integer> seen = new HashMap<>();
        for (DumpedMessage m : sink.messages()) seen.merge(m.header("X-Seq").orElse("?"), 1, Integer::sum);
        assertThat(seen).hasSize(MESSAGES);
        assertThat(seen.values()).allMatch(c -> c == 1);
        assertThat(delivered).hasSize(MESSAGES);
        SinkSessions sessions = SinkSessions.of(sink.logText());
        assertThat(sessions.maxConcurrent()).as("SMTP sessions open at once at the sink (%s)", sessions)
                .isLessThanOrEqualTo(5);
    }

    /** smtp-source: {@code count} messages over 4 sessions to {@code node}. */
    private static void source(SluiceProcess node, int count) {
        ToolResult sent = CommandTool.SMTP_SOURCE.run("-s", "4", "-m", Integer.toString(count), "-f", "a@example.test",
                "-t", "b@example.com", hostPort(node.listener("esmtp").orElseThrow()));
        assertThat(sent.ok()).as(sent.toString()).isTrue();
    }

    private static void sourceToEach(List<SluiceProcess> nodes, int perNode) {
        nodes.stream().map(n -> CompletableFuture.runAsync(() -> source(n, perNode))).toList()
                .forEach(CompletableFuture::join);
    }

    private static String hostPort(java.net.InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** {@code /api/admin/suspend/v1} on {@code node}: the answer's body (2xx required). */
    private static String admin(SluiceProcess node, String method, String body) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                        + hostPort(node.listener("http").orElseThrow()) + "/api/admin/suspend/v1"))
                .header("Content-Type", "application/json")
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            var response = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(method + " " + response.body()).isBetween(200, 299);
            return response.body();
        }
    }

    private static long arrived(SmtpSink sink) throws java.io.IOException {
        try (var files = Files.list(sink.dumpDir())) {
            return files.count();
        }
    }

    /** Every message at the sink a distinct file, and no more than {@code expected} after a quiet second. */
    private static void assertEachOnce(SmtpSink sink, int expected) throws InterruptedException {
        assertThat(sink.awaitMessages(expected, Duration.ofSeconds(60))).hasSize(expected);
        Thread.sleep(1000);
        assertThat(sink.messages()).as("messages at the sink (none twice)").hasSize(expected);
    }

    /**
     * Issue 14's rate test: three nodes with one policy, {@code max_message_rate = '100/s'} shared, get about 100
     * messages a second together at the sink (unshared each node would send 100/s: 300/s). The nodes get
     * {@code 100 × fleet.rate.seconds + 100} messages at once (smtp-source, 4 sessions each); the first 100 go as
     * the throttle's burst, so the rate is measured at the sink from the 101st arrival to the last: 100/s within
     * 25% (75-125/s). 5 s by default; the 20 s: {@code -Dfleet.rate.seconds=20} (bench/fleet-bench.sh runs
     * it). Then Redis is killed while the nodes deliver and started again (empty): deliveries go on under each
     * node's share (a node that decided on its share says so once, and once that Redis answers again), every
     * message arrives exactly once, and the restarted Redis holds the rate's key again (shared again).
     */
    @Test
    void threeNodesSharingOneHundredASecondDeliverAboutOneHundredASecondTogether() throws Exception {
        int seconds = Integer.getInteger("fleet.rate.seconds", 5);
        int rate = 100;
        RedisServer redis = peers.add(RedisServer.start());
        SmtpSink sink = peers.add(SmtpSink.start());
        List<SluiceProcess> nodes = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
            // connection_limit (shared too) well above what 100/s needs, idle connections closed soon: a node whose
            // queue is empty holds its leases only while its connections idle, so no node waits for another's
            nodes.add(node(n, redis.url(), sink.port(), "10s", "max_message_rate = '" + rate + "/s', "
                    + "connection_limit = 30, idle_timeout = '300ms', max_deliveries_per_connection = 1000"));
        }
        int perNode = (rate * seconds + rate + NODES - 1) / NODES;
        int total = perNode * NODES;
        // held by one suspension on node 0 (the admin API `sluice suspend` calls; shared) while smtp-source fills
        // every node, then released at once by its cancellation
        String id = admin(nodes.getFirst(), "POST", "{\"domain\": \"example.com\", \"reason\": \"fill the queues\", "
                + "\"duration\": \"10m\"}").replaceAll("(?s).*\"id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        for (SluiceProcess n : nodes) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin(n, "GET", null).contains(id));
        }
        sourceToEach(nodes, perNode);
        assertThat(arrived(sink)).isZero();
        admin(nodes.getFirst(), "DELETE", "{\"id\": \"" + id + "\"}");
        long t0 = System.currentTimeMillis();
        List<DumpedMessage> delivered = sink.awaitMessages(total, Duration.ofSeconds(60L + 2L * seconds));
        List<Long> arrivals = new ArrayList<>();
        for (DumpedMessage m : delivered) arrivals.add(Files.getLastModifiedTime(m.file()).toMillis());
        arrivals.sort(null);
        Map<Long, Integer> perHalfSecond = new java.util.TreeMap<>();
        for (long a : arrivals) perHalfSecond.merge((a - t0) / 500, 1, Integer::sum);
        double window = (arrivals.getLast() - arrivals.get(rate)) / 1000.0;
        double measured = (total - 1 - rate) / window;
        System.out.printf("fleet rate: %.1f messages/s at the sink over %.2f s after the burst (%d messages from %d "
                + "nodes sharing %d/s)%n", measured, window, total, NODES, rate); // bench/fleet-bench.sh shows it
        assertThat(measured).as("messages per second at the sink after the burst (%d in %.2f s; per half second "
                + "from the release: %s)", total - 1 - rate, window, perHalfSecond).isBetween(rate * 0.75, rate * 1.25);
        assertEachOnce(sink, total);

        // Redis killed mid-run (past the burst the idle throttle has again), then started again empty on its port
        int port = redis.port();
        CompletableFuture<Void> more = CompletableFuture.runAsync(() -> sourceToEach(nodes, 100));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (arrived(sink) < total + rate + 20 && System.nanoTime() < deadline) Thread.sleep(20);
        redis.close();
        long atKill = arrived(sink);
        more.join();
        assertEachOnce(sink, total + 100 * NODES);
        assertThat(total + 100 * NODES - atKill).as("messages delivered after Redis was killed").isPositive();
        peers.add(RedisServer.builder().port(port).start());
        Thread.sleep(2500); // Lettuce reconnects every second
        // shared again: while the last messages go, the restarted (empty) Redis holds the rate's key (KumoMTA's name)
        CompletableFuture<Void> last = CompletableFuture.runAsync(() -> sourceToEach(nodes, 10));
        boolean keyed = false;
        for (long until = System.nanoTime() + 30_000_000_000L; !keyed && System.nanoTime() < until; Thread.sleep(50)) {
            keyed = new CommandTool("redis-cli").run("-p", Integer.toString(port), "--scan", "--pattern",
                    "kumomta.max_message_rate.*").stdout().contains("kumomta.max_message_rate.");
        }
        last.join();
        assertThat(keyed).as("the rate decided in the restarted Redis").isTrue();
        assertEachOnce(sink, total + 110 * NODES);
        int warned = 0;
        for (SluiceProcess n : nodes) {
            long warnings = n.lines().stream().filter(l -> l.contains("each throttle and connection limit now applies"))
                    .count();
            assertThat(warnings).as("warnings of one outage").isLessThanOrEqualTo(1);
            if (warnings == 1) {
                warned++;
                n.awaitLine("answers again: throttles and connection limits are shared again", Duration.ofSeconds(30));
            }
        }
        assertThat(warned).as("nodes that decided on their share while Redis was away").isPositive();
    }
}
