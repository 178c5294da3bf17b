package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backlog in bounded memory, on {@code bin/sluice mta} processes: 10,000 messages of 10 KB (100 MB of data) are
 * queued to an MX that is down by an MTA whose heap is capped at 64 MiB, which holds only if a queued message keeps
 * its data in the spool (before, each kept its 10 KB on the heap: 120 MiB for these, twice the cap). The heap after
 * a full collection is measured before and after, per queued message: under 1 KiB each (about 0.4 KiB is measured;
 * 10,000 messages leave room for some 6 MiB of noise in the two measurements). Then the MTA restarts on that spool: its listener
 * answers before the background enumeration of the spool has finished; it is stopped (SIGTERM) in the middle of
 * that enumeration and started again with the MX up, and every message reaches the sink exactly once.
 */
class MtaBacklogMemoryTest {
    private static final int MESSAGES = Integer.getInteger("backlog.messages", 10_000);
    private static final Pattern MTA_ID = Pattern.compile("\\(Sluice\\) with E?SMTPS? id ([0-9a-f]{32})");

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private SluiceProcess mta(Path policy) {
        return peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString()).workDir(dir)
                .env("JAVA_OPTS", "-Xmx64m").start());
    }

    /** A gauge or counter without labels from the MTA's {@code /metrics}; -1 when it is not there. */
    static long metric(SluiceProcess mta, String name) throws IOException, InterruptedException {
        InetSocketAddress a = mta.httpListener();
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 2 && f[0].equals(name)) return (long) Double.parseDouble(f[1]);
        }
        return -1;
    }

    /** Heap used after a full collection, in bytes ({@code jcmd GC.run}, then {@code GC.heap_info}). */
    private static long heapAfterGc(SluiceProcess mta) {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Tool.run(List.of(jcmd, Long.toString(mta.pid()), "GC.run"));
        ToolResult info = Tool.run(List.of(jcmd, Long.toString(mta.pid()), "GC.heap_info"));
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info.stdout());
        assertThat(m.find()).as("GC.heap_info output: %s", info.stdout()).isTrue();
        return Long.parseLong(m.group(1)) * 1024;
    }

    @Test
    void aLargeBacklogFitsASmallHeapRestartIsReadyAtOnceAndEveryMessageArrivesOnce() throws Exception {
        int sinkPort = FreePorts.tcp(); // nothing listens there until the last phase
        Path deferring = MtaTestPolicy.of(dir, sinkPort).httpListener().queue("retry_interval = '1h',")
                .write("policy-down.lua");
        long t0 = System.nanoTime();
        SluiceProcess first = mta(deferring);
        long before = heapAfterGc(first);
        InetSocketAddress esmtp = first.listener("esmtp").orElseThrow();
        ToolResult source = Tool.run(null, List.of("smtp-source", "-s", "16", "-m", Integer.toString(MESSAGES),
                        "-l", "10240", "-f", "sender@example.test", "-t", "rcpt@example.test",
                        "127.0.0.1:" + esmtp.getPort()), Map.of(), Duration.ofMinutes(10));
        assertThat(source.ok()).as(source.describe()).isTrue();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .until(() -> metric(first, "scheduled_count") == MESSAGES);
        long after = heapAfterGc(first);
        long perMessage = (after - before) / MESSAGES;
        System.out.printf("MtaBacklogMemoryTest: heap after GC %d KiB empty, %d KiB with %d queued: %d bytes each "
                + "(queued after %.0f s)%n", before / 1024, after / 1024, MESSAGES, perMessage,
                (System.nanoTime() - t0) / 1e9);
        assertThat(first.logText()).doesNotContain("OutOfMemoryError");
        assertThat(perMessage).as("heap per queued 10 KB message").isLessThan(1024);
        first.terminate();
        assertThat(first.awaitExit(Duration.ofMinutes(1))).isZero();

        // restart on the full spool: the listener is up before the walk over the spool is over
        SluiceProcess second = mta(deferring);
        await().atMost(Duration.ofMinutes(2)).until(() -> second.logText().contains("re-queued")
                || metric(second, "spool_enumeration_found") > 0);
        List<String> lines = second.lines();
        int listening = indexOf(lines, "esmtp listener on");
        assertThat(listening).isNotNegative();
        int requeued = indexOf(lines, "re-queued " + MESSAGES);
        assertThat(requeued < 0 || requeued > listening)
                .as("the listener started before the spool's enumeration ended:%n%s", String.join("\n", lines))
                .isTrue();
        try (SmtpInjector client = new SmtpInjector(second.listener("esmtp").orElseThrow())) {
            client.quit(); // it answers 220 and EHLO while the enumeration goes on
        }
        // stopped in the middle of the enumeration: nothing of the spool is lost or doubled by that
        long found = metric(second, "spool_enumeration_found");
        second.terminate();
        assertThat(second.awaitExit(Duration.ofMinutes(1))).isZero();
        System.out.printf("MtaBacklogMemoryTest: stopped after the enumeration scheduled %d of %d (at %.0f s)%n", found,
                MESSAGES, (System.nanoTime() - t0) / 1e9);

        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).backlog(1024).start());
        SluiceProcess third = mta(MtaTestPolicy.of(dir, sinkPort).httpListener()
                .queue("retry_interval = '1s', max_retry_interval = '5s',").write("policy-up.lua"));
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(2))
                .until(() -> dumped(sink) >= MESSAGES && metric(third, "scheduled_count") == 0
                        && metric(third, "dispatch_in_flight") == 0);
        Map<String, Integer> copies = new HashMap<>();
        for (DumpedMessage m : sink.messages()) {
            Matcher id = MTA_ID.matcher(String.join(" ", m.headerValues("Received")));
            assertThat(id.find()).as("Received header of %s", m.file()).isTrue();
            copies.merge(id.group(1), 1, Integer::sum);
        }
        System.out.printf("MtaBacklogMemoryTest: all delivered and read at %.0f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(copies).hasSize(MESSAGES);
        assertThat(copies.values()).as("copies per message").containsOnly(1);
        third.terminate();
        assertThat(third.awaitExit(Duration.ofMinutes(1))).isZero();
    }

    private static long dumped(SmtpSink sink) throws IOException {
        try (var files = java.nio.file.Files.list(sink.dumpDir())) {
            return files.count();
        }
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) return i;
        }
        return -1;
    }
}
