package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.spool.Spool;
import dev.sluice.mta.spool.SpoolConfig;
import dev.sluice.mta.spool.SpoolMetrics;
import dev.sluice.mta.spool.Spools;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart is ready at once whatever the spool holds: {@code bin/sluice mta} answers 220 on a spool of 30,000 messages of
 * 10 KB (300 MB, written straight into the RocksDB spool) before any of the work that grows with the spool has run
 * (the checksums of every file, the walk over the messages): both come after the listener, in the background. The
 * CPU time the process has used when the 220 arrives is within a factor of what the same start on an empty spool used
 * in this test (CPU time, not wall time, since the machine may be loaded); then every message is scheduled.
 */
class MtaRestartReadyTest {
    private static final int MESSAGES = Integer.getInteger("restart.messages", 30_000);
    private static final int SIZE = 10_240;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** What the process had used when its listener answered: seconds from its start, and CPU seconds. */
    private record Ready(double wallSeconds, double cpuSeconds) {}

    private Path policy(String name, Path spool, int port) throws IOException {
        String lua = "local kumo = require 'kumo'\n"
                + "kumo.on('init', function()\n"
                + "  kumo.define_spool { name = 'data', path = '" + spool.toAbsolutePath() + "', kind = 'RocksDB' }\n"
                + "  kumo.configure_local_logs { log_dir = '" + dir.toAbsolutePath() + "/logs-" + name + "' }\n"
                + "  kumo.start_esmtp_listener { listen = '127.0.0.1:" + port + "' }\n"
                + "  kumo.start_http_listener { listen = '127.0.0.1:0' }\n"
                + "end)\n"
                + "kumo.on('get_queue_config', function()\n"
                + "  return kumo.make_queue_config { retry_interval = '1h',\n"
                + "    protocol = { smtp = { mx_list = { '127.0.0.1:" + FreePorts.tcp() + "' } } } }\n"
                + "end)\n"
                + "kumo.on('get_egress_path_config', function()\n"
                + "  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }\n"
                + "end)\n";
        Path file = dir.resolve(name + ".lua");
        Files.writeString(file, lua);
        return file;
    }

    /** Writes MESSAGES messages straight into a RocksDB spool (what a backlog leaves behind, quickly). */
    private static void fill(Path spoolDir) throws Exception {
        Spool spool = Spools.open(SpoolConfig.of("data", spoolDir, SpoolConfig.Kind.ROCKSDB, false),
                new SpoolMetrics(new PrometheusRegistry()));
        try {
            spool.start();
            byte[] body = new byte[SIZE];
            new Random(7).nextBytes(body); // incompressible, like mail bodies after their encoding
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) ('a' + (body[i] & 0x0f));
            }
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            Instant created = Instant.now().minusSeconds(60);
            for (int i = 0; i < MESSAGES; i += 500) {
                List<Message> batch = new ArrayList<>();
                for (int j = i; j < Math.min(MESSAGES, i + 500); j++) {
                    byte[] data = body.clone();
                    byte[] head = ("Subject: " + j + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(head, 0, data, 0, head.length);
                    data[SIZE - 2] = '\r';
                    data[SIZE - 1] = '\n';
                    batch.add(new Message(MessageId.next(created), "sender@example.test", "rcpt" + j + "@example.test",
                            Map.of(), data));
                }
                pending.add(spool.store(batch));
                if (pending.size() > 8) {
                    pending.removeFirst().get();
                }
            }
            for (CompletableFuture<Void> f : pending) {
                f.get();
            }
        } finally {
            spool.close();
        }
    }

    /** Starts the MTA and connects until its listener answers 220; the process is stopped by {@code peers}. */
    private Ready start(Path policy, int port, List<SluiceProcess> started) throws Exception {
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString()).workDir(dir)
                .readyWhen("RocksDbSpool: spool data").startTimeout(Duration.ofMinutes(3)).start());
        started.add(mta);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(120_000);
                InputStream in = s.getInputStream();
                byte[] greeting = new byte[3];
                if (in.readNBytes(greeting, 0, 3) == 3 && new String(greeting, StandardCharsets.US_ASCII).equals("220")) {
                    return sample(mta.pid());
                }
            } catch (IOException e) {
                Thread.sleep(10);
            }
        }
        throw new AssertionError("no 220 within 3 minutes:\n" + mta.logText());
    }

    /** The process's age and CPU time (user + system), from /proc. */
    private static Ready sample(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double hz = 100; // USER_HZ on Linux
        double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / hz;
        double startedAt = Long.parseLong(f[19]) / hz;
        double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        return new Ready(uptime - startedAt, cpu);
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) return i;
        }
        return -1;
    }

    @Test
    void theListenerAnswersBeforeAnyWorkThatGrowsWithTheSpool() throws Exception {
        Path full = dir.resolve("spool-full");
        fill(full);
        List<SluiceProcess> started = new ArrayList<>();

        int emptyPort = FreePorts.tcp();
        Ready empty = start(policy("empty", dir.resolve("spool-empty"), emptyPort), emptyPort, started);
        started.getFirst().terminate();
        assertThat(started.getFirst().awaitExit(Duration.ofMinutes(1))).isZero();

        int fullPort = FreePorts.tcp();
        Ready loaded = start(policy("full", full, fullPort), fullPort, started);
        SluiceProcess mta = started.get(1);
        System.out.printf("MtaRestartReadyTest: 220 after %.1f s (%.2f CPU s) on an empty spool, %.1f s (%.2f CPU s)"
                        + " on %d messages; load average %s%n", empty.wallSeconds(), empty.cpuSeconds(),
                loaded.wallSeconds(), loaded.cpuSeconds(), MESSAGES,
                Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);

        // the checksums and the walk both ran after the listener opened, in the background
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .until(() -> MtaBacklogMemoryTest.metric(mta, "spool_enumeration_done") == 1);
        List<String> lines = mta.lines();
        int listening = indexOf(lines, "esmtp listener on");
        int checked = indexOf(lines, "the checksums of every file hold");
        int walked = indexOf(lines, "re-queued " + MESSAGES + " spooled message(s)");
        assertThat(listening).as("log:%n%s", String.join("\n", lines)).isNotNegative();
        assertThat(checked).as("the spool's checksums are verified after the listener opened:%n%s",
                String.join("\n", lines)).isGreaterThan(listening);
        assertThat(walked).as("every message is scheduled after the listener opened").isGreaterThan(listening);
        assertThat(MtaBacklogMemoryTest.metric(mta, "spool_enumeration_found")).isEqualTo(MESSAGES);
        assertThat(loaded.cpuSeconds()).as("CPU time to the 220 on %d messages against an empty spool's", MESSAGES)
                .isLessThan(2 * empty.cpuSeconds());
    }
}
