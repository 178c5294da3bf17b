package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogWriterTest {
    @TempDir
    Path dir;

    private LogConfig config(long maxFileSize, Duration maxAge) {
        LogConfig d = LogConfig.of(dir.resolve("logs"));
        return new LogConfig(d.logDir(), maxFileSize, Optional.ofNullable(maxAge), 3, 1000, d.meta(), d.headers(),
                Set.of());
    }

    private static LogRecord record(int i) {
        return LogRecord.builder(RecordType.Delivery, Instant.now()).id("id-" + i).sender("s@a.example")
                .recipient("r" + i + "@b.example").queue("b.example").site("mx.b.example").size(100)
                .response(250, "2.0.0", "ok", ".").build();
    }

    private static List<String> ids(List<LogRecord> records) {
        return records.stream().map(LogRecord::id).toList();
    }

    private static List<String> expectedIds(int n) {
        return IntStream.range(0, n).mapToObj(i -> "id-" + i).toList();
    }

    @Test
    void rollsBySizeIntoSeveralCompleteFramesWithEveryRecordInOrder() throws Exception {
        LogConfig c = config(1000, null);
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            for (int i = 0; i < 40; i++) {
                w.log(record(i));
            }
        }
        List<Path> segments = Segments.list(c.logDir());
        // each record is ~600 bytes of JSON: a segment closes after its second record
        assertThat(segments).hasSize(20);
        for (Path s : segments) {
            assertThat(Segments.isDone(s)).as(s + " done").isTrue();
            byte[] compressed = Files.readAllBytes(s);
            // exactly one finished zstd frame, and a plain (non-continuous) decoder reads it whole
            assertThat(Zstd.findFrameCompressedSize(compressed)).isEqualTo(compressed.length);
            try (var in = new ZstdInputStream(Files.newInputStream(s))) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(text.lines()).hasSize(2);
                assertThat(text.length()).isGreaterThanOrEqualTo(1000).isLessThan(2000);
            }
        }
        List<LogRecord> back = LogReader.readAll(c.logDir());
        assertThat(ids(back)).isEqualTo(expectedIds(40));
        assertThat(back).allSatisfy(r -> assertThat(r.nodeid()).isEqualTo(LogRecordTest.NODE));
        // several segments were opened within one second: the later ones got a suffix, and still sort in order
        assertThat(segments.stream().map(p -> p.getFileName().toString()))
                .allMatch(n -> n.matches("\\d{8}-\\d{6}(\\.\\d+)?"))
                .anyMatch(n -> n.contains("."));
    }

    @Test
    void rollsByAgeEvenWhileIdle() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE, Duration.ofMillis(300));
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            w.log(record(0));
            w.log(record(1));
            // no more records: the writer must close the segment on its own once it is 300 ms old
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<Path> s = Segments.list(c.logDir());
                return s.size() == 1 && Segments.isDone(s.getFirst());
            });
            w.log(record(2));
            w.flush();
            List<Path> segments = Segments.list(c.logDir());
            assertThat(segments).hasSize(2);
            assertThat(Segments.isDone(segments.get(1))).isFalse();
        }
        assertThat(Segments.list(c.logDir())).hasSize(2).allMatch(p -> {
            try {
                return Segments.isDone(p);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(ids(LogReader.readAll(c.logDir()))).isEqualTo(expectedIds(3));
    }

    @Test
    void whenWrittenCompletesEveryRecordLoggedBeforeIsInTheFile() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            // more than one flush batch, with barriers in between, as many acknowledging sessions would make
            List<java.util.concurrent.CompletableFuture<Void>> barriers = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                w.log(record(i));
                if (i % 50 == 49) barriers.add(w.written());
            }
            barriers.forEach(java.util.concurrent.CompletableFuture::join);
            // read at once, the writer still open: no idle flush has to have happened
            List<LogRecord> read = LogReader.readAll(c.logDir());
            assertThat(read).hasSize(600);
            assertThat(read.getLast().id()).isEqualTo(record(599).id());
        }
    }

    @Test
    void aSegmentIsReadableWhileItIsWritten() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        List<String> seen = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE);
             LogReader reader = new LogReader(c.logDir(), warnings::add)) {
            assertThat(reader.poll(seen::add)).isZero(); // nothing yet, not even a directory entry
            for (int i = 0; i < 3; i++) {
                w.log(record(i));
            }
            // no flush(): the writer flushes by itself when idle
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                reader.poll(seen::add);
                return seen.size() == 3;
            });
            Path open = Segments.list(c.logDir()).getFirst();
            assertThat(Segments.isDone(open)).isFalse();
            w.log(record(3));
            w.log(record(4));
            w.flush();
            assertThat(reader.poll(seen::add)).isEqualTo(2);
            assertThat(reader.poll(seen::add)).isZero();
            w.close();
            assertThat(reader.poll(seen::add)).isZero();
        }
        assertThat(seen.stream().map(LogRecord::parse).map(LogRecord::id).toList()).isEqualTo(expectedIds(5));
        assertThat(warnings).isEmpty();
    }

    @Test
    void aTruncatedSegmentIsReportedAndReadingGoesOn() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            w.log(record(0));
            w.log(record(1));
        }
        Path whole = Segments.list(c.logDir()).getFirst();
        byte[] bytes = Files.readAllBytes(whole);
        // a copy cut short, as if the writer died mid-write, named to sort first; the whole one after it
        Path cut = c.logDir().resolve("20000101-000000");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        List<String> warnings = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        try (LogReader reader = new LogReader(c.logDir(), warnings::add)) {
            reader.poll(lines::add);
        }
        assertThat(lines).isNotEmpty();
        List<String> ids = lines.stream().map(LogRecord::parse).map(LogRecord::id).toList();
        assertThat(ids.subList(ids.size() - 2, ids.size())).containsExactly("id-0", "id-1");
        assertThat(warnings).singleElement().asString().startsWith("20000101-000000: ");
    }

    @Test
    void segmentsLeftOpenByAnEarlierRunAreMarkedDoneAtStart() throws Exception {
        LogConfig c = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        Files.createDirectories(c.logDir());
        Path leftover = c.logDir().resolve("20000101-000000");
        Files.write(leftover, Zstd.compress("{\"type\":\"Reception\"}\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(Segments.isDone(leftover)).isFalse();
        LogWriter.start(c, LogRecordTest.NODE).close();
        assertThat(Segments.isDone(leftover)).isTrue();
    }

    @Test
    void onlyTheConfiguredMetaAndHeadersAreLogged() throws Exception {
        LogConfig d = LogConfig.of(dir.resolve("logs"));
        LogConfig c = new LogConfig(d.logDir(), d.maxFileSize(), Optional.empty(), 3, 100,
                new NameFilter(List.of("tenant", "x_*"), false),
                new NameFilter(List.of("subject", "X-Campaign-*"), true), Set.of());
        byte[] data = ("Received: from a\r\n\tby b\r\nSubject: Hello\r\n  world\r\nX-Campaign-Id: c1\r\n"
                + "x-campaign-ref: r9\r\nX-Other: no\r\nSubject: second\r\n\r\nSubject: in the body\r\n")
                .getBytes(StandardCharsets.UTF_8);
        Message m = new Message(MessageId.next(Instant.now()), "s@a.example", "r@b.example",
                Map.of("tenant", "t1", "campaign", "c", "x_a", 1L, "x_b", true, "y_x", "no"), data);
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            w.log(LogRecord.builder(RecordType.Reception, Instant.now()).message(m).build(), m);
        }
        LogRecord r = LogReader.readAll(c.logDir()).getFirst();
        assertThat(r.meta()).containsOnlyKeys("tenant", "x_a", "x_b")
                .containsEntry("tenant", "t1").containsEntry("x_b", true);
        assertThat(((Number) r.meta().get("x_a")).longValue()).isEqualTo(1L);
        // the exact name keeps the configured spelling; wildcard matches keep the message's; the first field wins
        assertThat(r.headers()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "subject", "Hello  world", "X-Campaign-Id", "c1", "x-campaign-ref", "r9"));
    }

    @Test
    void disabledRecordTypesAreNotWritten() throws Exception {
        LogConfig d = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        LogConfig c = new LogConfig(d.logDir(), d.maxFileSize(), Optional.empty(), 3, 100, d.meta(), d.headers(),
                EnumSet.of(RecordType.Reception));
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            w.log(LogRecord.builder(RecordType.Reception, Instant.now()).id("rx").build());
            w.log(LogRecord.builder(RecordType.Delivery, Instant.now()).id("dx").build());
        }
        assertThat(ids(LogReader.readAll(c.logDir()))).containsExactly("dx");
    }

    @Test
    void aClosedWriterRefusesRecords() throws Exception {
        LogWriter w = LogWriter.start(config(LogConfig.DEFAULT_MAX_FILE_SIZE, null), LogRecordTest.NODE);
        w.close();
        assertThatThrownBy(() -> w.log(record(0))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void producersBlockWhenTheQueueIsFullAndNothingIsLost() throws Exception {
        LogConfig d = config(LogConfig.DEFAULT_MAX_FILE_SIZE, null);
        LogConfig c = new LogConfig(d.logDir(), d.maxFileSize(), Optional.empty(), 3, 2, d.meta(), d.headers(),
                Set.of());
        // a queue of 2 and 4 threads logging 500 each: they must wait their turn, and every record lands
        try (LogWriter w = LogWriter.start(c, LogRecordTest.NODE)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = t * 500;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 500; i++) {
                        try {
                            w.log(record(base + i));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        assertThat(ids(LogReader.readAll(c.logDir()))).containsExactlyInAnyOrderElementsOf(expectedIds(2000));
    }
}
