package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged RocksDB spool never loses acknowledged messages in silence: 300 messages are stored (flush = false)
 * and the spool directory is copied while it is open, which is what a SIGKILL leaves; then a file is damaged.
 * A damaged or truncated write-ahead log stops the open unless the spool is salvaged; a corrupt SST block
 * quarantines the messages it held and keeps the rest.
 */
class SpoolDamageTest {
    private static final int MESSAGES = 300;

    @TempDir
    Path dir;

    private final SpoolMetrics metrics = new SpoolMetrics(new PrometheusRegistry());
    private final Map<MessageId, Message> stored = new HashMap<>();

    private static Message message(int i) {
        // an incompressible body, so that the data column family's SST file is the largest one (the test damages it)
        String body = new Random(i).ints(1000, 'a', 'z' + 1).collect(StringBuilder::new, StringBuilder::appendCodePoint,
                StringBuilder::append).toString();
        byte[] data = ("Subject: message " + i + "\r\n\r\n" + body + "\r\n").getBytes(StandardCharsets.UTF_8);
        return new Message(MessageId.next(Instant.now()), "sender" + i + "@example.com", "rcpt" + i + "@example.net",
                Map.of("n", (long) i), data);
    }

    private Spool open(Path spoolDir, SpoolRecovery recovery) throws IOException {
        Spool spool = Spools.open(SpoolConfig.of("data", spoolDir, SpoolConfig.Kind.ROCKSDB, false), metrics, recovery);
        spool.start();
        return spool;
    }

    /** Stores MESSAGES one commit each and returns a copy of the spool taken while it was open (a SIGKILL). */
    private Path acknowledgedThenKilled() throws Exception {
        Path live = dir.resolve("live");
        try (Spool spool = open(live, SpoolRecovery.STRICT)) {
            for (int i = 0; i < MESSAGES; i++) {
                Message m = message(i);
                spool.store(List.of(m)).get();
                stored.put(m.id(), m);
            }
            Path killed = dir.resolve("spool");
            copy(live, killed);
            return killed;
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("LOCK")) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    private static Path largest(Path spoolDir, String suffix) throws IOException {
        try (var files = Files.list(spoolDir)) {
            return files.filter(f -> f.toString().endsWith(suffix)).max(Comparator.comparingLong(f -> f.toFile().length()))
                    .orElseThrow();
        }
    }

    private static void overwriteMiddle(Path file, int bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] garbage = new byte[bytes];
            new Random(9).nextBytes(garbage);
            f.seek(f.length() / 2);
            f.write(garbage);
        }
    }

    private List<Message> loadAll(Spool spool) throws IOException {
        List<Message> out = new java.util.ArrayList<>();
        spool.loadAll(out::add);
        return out;
    }

    @Test
    void aDamagedWalStopsTheOpenAndSalvageKeepsEveryReadableMessage() throws Exception {
        Path spoolDir = acknowledgedThenKilled();
        Path wal = largest(spoolDir, ".log");
        overwriteMiddle(wal, 4096);
        long walSize = Files.size(wal);

        assertThatThrownBy(() -> open(spoolDir, SpoolRecovery.STRICT))
                .isInstanceOf(SpoolDamagedException.class)
                .hasMessageContaining("write-ahead log is damaged")
                .hasMessageContaining("--salvage-spool");
        // nothing changed: the strict open fails again, the WAL is still there
        assertThat(wal).exists();
        assertThatThrownBy(() -> open(spoolDir, SpoolRecovery.STRICT)).isInstanceOf(SpoolDamagedException.class);

        try (Spool salvaged = open(spoolDir, SpoolRecovery.SALVAGE)) {
            List<Message> loaded = loadAll(salvaged);
            assertThat(loaded).hasSizeBetween(MESSAGES / 2 + 1, MESSAGES - 1); // more than the 150 before the damage
            for (Message m : loaded) {
                assertThat(m.data()).isEqualTo(stored.get(m.id()).data());
            }
        }
        try (var siblings = Files.list(dir)) {
            Path salvage = siblings.filter(p -> p.getFileName().toString().startsWith("salvage-spool-")).findFirst()
                    .orElseThrow();
            assertThat(salvage.resolve(wal.getFileName())).exists().hasSize(walSize); // the damaged log, as it was
        }
        // once salvaged, the spool opens strictly again
        try (Spool again = open(spoolDir, SpoolRecovery.STRICT)) {
            assertThat(again.count()).isGreaterThan(MESSAGES / 2);
        }
    }

    @Test
    void aTruncatedWalIsCaughtByTheCommitMark() throws Exception {
        Path spoolDir = acknowledgedThenKilled();
        Path wal = largest(spoolDir, ".log");
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertThatThrownBy(() -> open(spoolDir, SpoolRecovery.STRICT))
                .isInstanceOf(SpoolDamagedException.class)
                .hasMessageContaining("truncated")
                .hasMessageMatching("(?s).*left 300 message\\(s\\), 1[45]\\d are readable now: 1[45]\\d acknowledged message\\(s\\) lost.*");
        // still refused at the next start: the loss is not forgotten by having opened once
        assertThatThrownBy(() -> open(spoolDir, SpoolRecovery.STRICT)).isInstanceOf(SpoolDamagedException.class);
        try (Spool salvaged = open(spoolDir, SpoolRecovery.SALVAGE)) {
            assertThat(salvaged.count()).isBetween(140L, 160L);
        }
    }

    @Test
    void aTornLastWriteThatWasNeverAcknowledgedIsNotDamage() throws Exception {
        // what a power cut can leave with flush = true: the last write incomplete (its sync had not returned, so
        // it was never acknowledged, and the commit mark still names the write before it)
        Path live = dir.resolve("live");
        Path spoolDir = dir.resolve("spool");
        try (Spool spool = open(live, SpoolRecovery.STRICT)) {
            for (int i = 0; i < MESSAGES; i++) {
                spool.store(List.of(message(i))).get();
            }
            byte[] markBefore = Files.readAllBytes(live.resolve(CommitMark.FILE));
            spool.store(List.of(message(MESSAGES))).get();
            copy(live, spoolDir);
            Files.write(spoolDir.resolve(CommitMark.FILE), markBefore);
        }
        Path wal = largest(spoolDir, ".log");
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        try (Spool spool = open(spoolDir, SpoolRecovery.STRICT)) {
            assertThat(spool.count()).isEqualTo(MESSAGES);
        }
    }

    @Test
    void aCorruptSstBlockQuarantinesItsMessagesAndKeepsTheRest() throws Exception {
        Path spoolDir = acknowledgedThenKilled();
        try (Spool reopened = open(spoolDir, SpoolRecovery.STRICT)) {
            assertThat(reopened.count()).isEqualTo(MESSAGES); // recovery wrote the WAL into SST files
        }
        Path sst = largest(spoolDir, ".sst");
        overwriteMiddle(sst, 16);

        Set<MessageId> delivered;
        try (Spool spool = open(spoolDir, SpoolRecovery.STRICT)) {
            delivered = loadAll(spool).stream().map(Message::id).collect(Collectors.toSet());
            List<Quarantine.Entry> quarantined = Quarantine.read(spoolDir);
            assertThat(quarantined).isNotEmpty();
            assertThat(delivered.size() + quarantined.size()).isEqualTo(MESSAGES);
            assertThat(spool.count()).isEqualTo(delivered.size());
            assertThat(metrics.quarantined("data")).isEqualTo(quarantined.size());
            for (Quarantine.Entry q : quarantined) {
                Message m = stored.get(MessageId.parse(q.id()));
                assertThat(q.recipient()).isEqualTo(m.recipient());
                assertThat(q.reason()).contains("checksum mismatch");
                assertThat(Path.of(q.keptIn())).isDirectory();
            }
            // the spool takes writes again, and the damaged files are gone from it
            spool.store(List.of(message(MESSAGES))).get();
        }
        assertThat(stored.keySet()).containsAll(delivered);
        try (Spool again = open(spoolDir, SpoolRecovery.STRICT)) {
            assertThat(again.count()).isEqualTo(delivered.size() + 1);
            assertThat(Quarantine.read(spoolDir)).hasSize(MESSAGES - delivered.size()); // not listed twice
        }
    }
}
