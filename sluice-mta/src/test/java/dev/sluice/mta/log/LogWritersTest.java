package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two configure_local_logs calls: each logger gets the record with its own selection. */
class LogWritersTest {
    @TempDir
    Path dir;

    @Test
    void eachLoggerAppliesItsOwnSelectionAndTypes() throws Exception {
        var all = new LogConfig(dir.resolve("all"), LogConfig.DEFAULT_MAX_FILE_SIZE, Optional.empty(), 3, 10,
                new NameFilter(List.of("*"), false), new NameFilter(List.of("Subject"), true), Set.of());
        var deliveries = new LogConfig(dir.resolve("deliveries"), LogConfig.DEFAULT_MAX_FILE_SIZE, Optional.empty(),
                3, 10, NameFilter.none(), new NameFilter(List.of(), true), Set.of(RecordType.Reception));
        Message m = new Message(MessageId.next(Instant.now()), "s@a.example", "r@b.example", Map.of("tenant", "t"),
                "Subject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
        try (LogWriters w = LogWriters.start(List.of(all, deliveries), LogRecordTest.NODE)) {
            w.log(LogRecord.builder(RecordType.Reception, Instant.now()).message(m).build(), m);
            w.log(LogRecord.builder(RecordType.Delivery, Instant.now()).message(m).build(), m);
            w.flush();
            assertThat(LogReader.readAll(all.logDir())).hasSize(2); // readable before close, after flush()
        }
        List<LogRecord> a = LogReader.readAll(all.logDir());
        assertThat(a).extracting(LogRecord::type).containsExactly(RecordType.Reception, RecordType.Delivery);
        assertThat(a.getFirst().meta()).isEqualTo(Map.of("tenant", "t"));
        assertThat(a.getFirst().headers()).isEqualTo(Map.of("Subject", "hi"));
        List<LogRecord> d = LogReader.readAll(deliveries.logDir());
        assertThat(d).singleElement().satisfies(r -> {
            assertThat(r.type()).isEqualTo(RecordType.Delivery);
            assertThat(r.meta()).isEmpty();
            assertThat(r.headers()).isEmpty();
            assertThat(r.id()).isEqualTo(m.id().toString());
        });
    }
}
