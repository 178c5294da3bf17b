package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogConfig;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.LogWriter;
import dev.sluice.mta.log.RecordType;
import dev.sluice.egress.connect.SourceAddress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice logs}, run in-process through picocli. */
class LogsCommandTest {
    private static final UUID NODE = UUID.fromString("557f3ad4-2c8c-11ee-976e-782d7e12e173");

    @TempDir
    Path dir;

    /** One command line with its output captured. */
    private record Run(CommandLine cl, StringWriter out, StringWriter err) {
        static Run of() {
            var cl = new CommandLine(new LogsCommand());
            var out = new StringWriter();
            var err = new StringWriter();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            return new Run(cl, out, err);
        }

        int execute(String... args) {
            return cl.execute(args);
        }

        List<String> lines() {
            synchronized (out) {
                return out.toString().lines().toList();
            }
        }
    }

    private static LogRecord delivery(String id, String rcpt) {
        return LogRecord.builder(RecordType.Delivery, Instant.parse("2026-11-23T10:00:00Z")).id(id)
                .sender("s@a.example").recipient(rcpt).queue("b.example").site("mx.b.example")
                .egressPool("pool-1").egressSource("ip-1")
                .sourceAddress(SourceAddress.socks5(new InetSocketAddress("127.0.0.7", 5555),
                        new InetSocketAddress("127.0.0.1", 1080)))
                .response(250, "2.0.0", "ok", ".").build();
    }

    private LogConfig config(long maxFileSize) {
        LogConfig d = LogConfig.of(dir.resolve("logs"));
        return new LogConfig(d.logDir(), maxFileSize, Optional.empty(), 3, 100, d.meta(), d.headers(), d.disabled());
    }

    @Test
    void printsOneReadableLinePerRecordAcrossSegments() throws Exception {
        LogConfig c = config(500); // every record closes its segment: three segments
        try (LogWriter w = LogWriter.start(c, NODE)) {
            w.log(LogRecord.builder(RecordType.Reception, Instant.parse("2026-11-23T09:59:59Z")).id("m1")
                    .sender("s@a.example").recipient("r@b.example").queue("b.example").receptionProtocol("ESMTP")
                    .build());
            w.log(delivery("m1", "r@b.example"));
            w.log(LogRecord.builder(RecordType.Bounce, Instant.parse("2026-11-23T10:00:01Z")).id("m2")
                    .sender("s@a.example").recipient("x@b.example").queue("b.example").site("mx.b.example")
                    .response(550, "5.1.1", "no such user", "RCPT TO").numAttempts(1).build());
        }
        Run run = Run.of();
        assertThat(run.execute(c.logDir().toString())).isZero();
        assertThat(run.lines()).containsExactly(
                "2026-11-23T09:59:59Z Reception m1 <s@a.example> -> <r@b.example> queue=b.example proto=ESMTP",
                "2026-11-23T10:00:00Z Delivery m1 <s@a.example> -> <r@b.example> queue=b.example site=mx.b.example"
                        + " pool=pool-1 source=ip-1 from=127.0.0.7:5555 via socks5 127.0.0.1:1080: 250 2.0.0 ok",
                "2026-11-23T10:00:01Z Bounce m2 <s@a.example> -> <x@b.example> queue=b.example site=mx.b.example"
                        + " attempts=1: 550 5.1.1 no such user");
        assertThat(run.err().toString()).isEmpty();
    }

    @Test
    void jsonPrintsTheRawLines() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE);
        try (LogWriter w = LogWriter.start(c, NODE)) {
            w.log(delivery("m1", "r@b.example"));
        }
        Run run = Run.of();
        assertThat(run.execute("--json", c.logDir().toString())).isZero();
        assertThat(run.lines()).singleElement().satisfies(line -> {
            assertThat(line).startsWith("{\"type\":\"Delivery\",\"id\":\"m1\"");
            assertThat(LogRecord.parse(line).nodeid()).isEqualTo(NODE);
        });
    }

    @Test
    void followPrintsRecordsAsTheyAreWrittenAndNewSegments() throws Exception {
        LogConfig c = config(1500);
        Run run = Run.of();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread follower = Thread.ofPlatform().start(() -> exit.set(run.execute("--follow", c.logDir().toString())));
        try (LogWriter w = LogWriter.start(c, NODE)) {
            w.log(delivery("m1", "r1@b.example"));
            await().atMost(Duration.ofSeconds(30)).until(() -> run.lines().size() == 1);
            for (int i = 2; i <= 6; i++) { // rolls into new segments on the way
                w.log(delivery("m" + i, "r" + i + "@b.example"));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> run.lines().size() == 6);
        } finally {
            follower.interrupt();
            follower.join();
        }
        assertThat(exit.get()).isZero();
        assertThat(run.lines()).hasSize(6)
                .allMatch(l -> l.contains(" Delivery "))
                .extracting(l -> l.split(" ")[2]).containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
        try (var files = java.nio.file.Files.list(c.logDir())) {
            assertThat(files.count()).as("segments").isGreaterThan(1);
        }
        assertThat(run.err().toString()).isEmpty();
    }

    @Test
    void aMissingDirectoryIsAnError() {
        Run run = Run.of();
        assertThat(run.execute(dir.resolve("nope").toString())).isEqualTo(1);
        assertThat(run.err().toString()).contains("no such directory");
    }
}
