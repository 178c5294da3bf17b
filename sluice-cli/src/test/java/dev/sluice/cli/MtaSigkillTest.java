package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing acknowledged is lost: 8 client threads inject 2,000 messages (each with a unique X-Seq
 * header) into {@code bin/sluice mta}; once half of them have their 250 the test SIGKILLs the MTA's
 * JVM. The sink is down during the first run (its port is closed, the queue retries after an hour), so
 * nothing leaves before the kill and every acknowledged message can only survive through the spool.
 * The MTA restarts on the same data dir with the sink up; the clients send what they had not sent yet,
 * and every message that got a 250 in either run must reach the sink. Duplicates are counted and printed.
 */
class MtaSigkillTest {
    // -Dsigkill.messages=N for a quicker run; -Dsigkill.keep=DIR copies the spool and logs there to diagnose
    private static final int MESSAGES = Integer.getInteger("sigkill.messages", 2_000);
    private static final int CLIENTS = 8;
    private static final int PER_CONNECTION = 100;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /**
     * {@code retry} is 1h for the first run (the sink is down: no churn) and short for the second, so that a
     * message whose attempt fails after the restart (e.g. the sink slow to greet under the burst) is retried
     * within the test's wait rather than an hour later. Reception records carry X-Seq.
     */
    private Path policy(int sinkPort, boolean flush, String retry) throws IOException {
        return MtaTestPolicy.of(dir, sinkPort).flush(flush).logHeaders("'X-Seq'").queue(retry + ",")
                .write("policy-" + retry.replaceAll("\\W", "") + ".lua");
    }

    private SluiceProcess mta(Path policy) {
        return MtaTestPolicy.start(peers, dir, policy);
    }

    /** One client's share of the sequence numbers and what happened to each. */
    private static final class Client {
        final List<String> seqs = new ArrayList<>();
        int next; // index of the first message not yet attempted
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final Set<String> inDoubt = ConcurrentHashMap.newKeySet(); // sent, no reply: may or may not be spooled

        /**
         * Sends from {@code next} on until done or the connection breaks; a break is an error unless the
         * test killed the MTA on purpose.
         */
        void run(InetSocketAddress server, AtomicBoolean killed) throws IOException {
            while (next < seqs.size()) {
                try (SmtpInjector smtp = new SmtpInjector(server)) {
                    for (int i = 0; i < PER_CONNECTION && next < seqs.size(); i++) {
                        String seq = seqs.get(next);
                        next++;
                        inDoubt.add(seq);
                        int code = smtp.sendMessage("sender@example.test", "rcpt@example.test", seq);
                        inDoubt.remove(seq);
                        if (code != 250) throw new IOException(seq + " answered " + code);
                        acked.add(seq);
                    }
                    smtp.quit();
                } catch (IOException e) {
                    if (killed.get()) return;
                    throw e;
                }
            }
        }
    }

    private static void copyDir(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t);
            }
        }
    }

    private static Map<String, Integer> seqCounts(SmtpSink sink) {
        Map<String, Integer> counts = new HashMap<>();
        for (DumpedMessage m : sink.messages()) {
            m.header("X-Seq").ifPresent(s -> counts.merge(s, 1, Integer::sum));
        }
        return counts;
    }

    private static void runClients(List<Client> clients, InetSocketAddress server, AtomicBoolean killed)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            List<Future<Object>> done = new ArrayList<>();
            for (Client c : clients) {
                done.add(pool.submit(() -> {
                    c.run(server, killed);
                    return null;
                }));
            }
            for (Future<Object> f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "flush = {0}")
    @ValueSource(booleans = {false})
    void everyAcknowledgedMessageReachesTheSinkAfterSigkillAndRestart(boolean flush) throws Exception {
        int sinkPort = FreePorts.tcp(); // nothing listens there during the first run
        Path policy = policy(sinkPort, flush, "retry_interval = '1h'");
        List<Client> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) clients.add(new Client());
        for (int i = 0; i < MESSAGES; i++) clients.get(i % CLIENTS).seqs.add("m%05d".formatted(i));

        SluiceProcess first = mta(policy);
        ProcessHandle jvm = ProcessHandle.of(first.pid()).orElseThrow();
        // bin/sluice execs java: the PID we hold is the MTA's JVM, not a shell that would outlive it
        assertThat(jvm.info().command().orElse("")).endsWith("java");

        long t0 = System.nanoTime();
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService injector = Executors.newSingleThreadExecutor();
        Future<Object> phase1 = injector.submit(() -> {
            runClients(clients, first.listener("esmtp").orElseThrow(), killed);
            return null;
        });
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> phase1.isDone() || clients.stream().mapToInt(c -> c.acked.size()).sum() >= MESSAGES / 2);
        killed.set(true);
        assertThat(jvm.destroyForcibly()).isTrue();
        await().atMost(Duration.ofMinutes(1)).until(() -> !jvm.isAlive());
        phase1.get(); // rethrows a client failure that was not the kill
        injector.shutdownNow();
        int ackedBeforeKill = clients.stream().mapToInt(c -> c.acked.size()).sum();
        int inDoubt = clients.stream().mapToInt(c -> c.inDoubt.size()).sum();
        assertThat(ackedBeforeKill).as("the kill came mid-injection").isBetween(MESSAGES / 2, MESSAGES - 1);

        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).backlog(1024).start());
        SluiceProcess second = mta(policy(sinkPort, flush, "retry_interval = '1s', max_retry_interval = '10s'"));
        second.awaitLine("re-queued", Duration.ofMinutes(2)); // the spool is walked in the background
        killed.set(false);
        runClients(clients, second.listener("esmtp").orElseThrow(), killed);

        Set<String> acked = new HashSet<>();
        clients.forEach(c -> acked.addAll(c.acked));
        int unsent = clients.stream().mapToInt(c -> c.seqs.size() - c.next).sum();
        assertThat(unsent).isZero();
        try {
            await().atMost(Duration.ofSeconds(Long.getLong("sigkill.wait", 300))).pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(seqCounts(sink).keySet()).containsAll(acked));
        } finally {
            if (System.getProperty("sigkill.keep") != null) copyDir(dir, Path.of(System.getProperty("sigkill.keep")));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        // drain, then count what arrived more than once
        second.terminate();
        assertThat(second.awaitExit(Duration.ofMinutes(1))).isZero();
        // the log tells what happened to every acknowledged message: its Reception record was written
        // before its 250, so the SIGKILL cannot have taken it
        Set<String> received = new HashSet<>();
        for (LogRecord r : LogReader.readAll(dir.resolve("logs"))) {
            if (r.type() == RecordType.Reception && r.headers().get("X-Seq") instanceof String seq) received.add(seq);
        }
        assertThat(received).as("Reception records of acknowledged messages").containsAll(acked);
        Map<String, Integer> counts = seqCounts(sink);
        long duplicates = counts.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
        long unacknowledgedArrived = counts.keySet().stream().filter(s -> !acked.contains(s)).count();
        // a message spooled but never acknowledged (the kill came between its write and its 250) may be delivered
        // after the restart: a client, which got no 250, sends it again, so the recipient gets it twice (README)
        System.out.printf("MtaSigkillTest flush=%s: %d acknowledged before SIGKILL, %d in doubt at the kill, "
                        + "%d acknowledged in all, %d distinct delivered, %d delivered more than once, "
                        + "%d delivered but never acknowledged (duplicates once the client resends them), %.1f s%n",
                flush, ackedBeforeKill, inDoubt, acked.size(), counts.size(), duplicates, unacknowledgedArrived,
                seconds);
        assertThat(acked.size() + inDoubt).isGreaterThanOrEqualTo(MESSAGES);
        // only the messages in flight at the kill may arrive without having been acknowledged
        assertThat(unacknowledgedArrived).isLessThanOrEqualTo(inDoubt);
    }
}
