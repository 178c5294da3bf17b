package dev.sluice.mta.accounting;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * Daily received and delivered counts in an embedded RocksDB ({@code kumo.configure_accounting_db_path}).
 * Keys are {@code YYYY-MM-DD/kind} (UTC day), values 8-byte big-endian counts. Writes are not fsynced:
 * accounting is statistics, and a crash may lose the last few increments, never a message.
 */
public final class AccountingDb implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Path path;
    private final Options options;
    private final WriteOptions write = new WriteOptions().setSync(false);
    private final RocksDB db;
    private boolean closed;

    private AccountingDb(Path path, Options options, RocksDB db) {
        this.path = path;
        this.options = options;
        this.db = db;
    }

    public static AccountingDb open(Path path) throws IOException {
        Files.createDirectories(path);
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new AccountingDb(path, options, RocksDB.open(options, path.toString()));
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open accounting database at " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Counts one event of {@code kind} on the UTC day of {@code at}. */
    public synchronized void record(AccountingKind kind, Instant at) {
        if (closed) {
            return; // late outcome during shutdown: statistics only
        }
        byte[] key = key(at.atZone(ZoneOffset.UTC).toLocalDate(), kind);
        try {
            long now = decode(db.get(key)) + 1; // read-modify-write under this lock: no lost increments
            db.put(write, key, ByteBuffer.allocate(Long.BYTES).putLong(now).array());
        } catch (RocksDBException e) {
            throw new IllegalStateException("accounting write failed: " + e.getMessage(), e);
        }
    }

    /** The counts of one UTC day (zero when nothing happened). */
    public synchronized DailyCounts counts(LocalDate day) {
        try {
            return new DailyCounts(decode(db.get(key(day, AccountingKind.RECEIVED))),
                    decode(db.get(key(day, AccountingKind.DELIVERED))));
        } catch (RocksDBException e) {
            throw new IllegalStateException("accounting read failed: " + e.getMessage(), e);
        }
    }

    /** Every day with a count, oldest first. */
    public synchronized SortedMap<LocalDate, DailyCounts> all() {
        Map<LocalDate, EnumMap<AccountingKind, Long>> byDay = new TreeMap<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                int slash = key.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                AccountingKind kind = kindOf(key.substring(slash + 1));
                if (kind == null) {
                    continue;
                }
                byDay.computeIfAbsent(LocalDate.parse(key.substring(0, slash)), d -> new EnumMap<>(AccountingKind.class))
                        .put(kind, decode(it.value()));
            }
        }
        SortedMap<LocalDate, DailyCounts> out = new TreeMap<>();
        byDay.forEach((day, m) -> out.put(day, new DailyCounts(m.getOrDefault(AccountingKind.RECEIVED, 0L),
                m.getOrDefault(AccountingKind.DELIVERED, 0L))));
        return out;
    }

    private static AccountingKind kindOf(String name) {
        for (AccountingKind k : AccountingKind.values()) {
            if (k.jsonName().equals(name)) {
                return k;
            }
        }
        return null;
    }

    private static byte[] key(LocalDate day, AccountingKind kind) {
        return (day + "/" + kind.jsonName()).getBytes(StandardCharsets.UTF_8);
    }

    private static long decode(byte[] value) {
        return value == null || value.length != Long.BYTES ? 0 : ByteBuffer.wrap(value).getLong();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            db.flushWal(true); // keep what was counted across a clean restart
        } catch (RocksDBException ignored) {
            // best effort; closing writes the memtable anyway
        }
        db.close();
        write.close();
        options.close();
    }
}
