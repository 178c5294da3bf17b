package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool in one RocksDB database: column family {@code meta} (envelope + meta as JSON) and {@code data}
 * (the message bytes, in blob files since they are large and short-lived), both keyed by the 16-byte
 * message id, so keys sort by age. Data is stored once per message, also when several per-recipient messages
 * of one transaction share it (simple, and removal needs no reference counts).
 *
 * <p>A group commit is one WriteBatch, written atomically through the WAL. Without {@code flush} the WAL
 * write reaches the OS before {@code write} returns, so it survives SIGKILL; with {@code flush} the WAL is
 * also synced (one fsync per group commit).
 *
 * <p>Damage. The WAL is replayed with {@link WALRecoveryMode#TolerateCorruptedTailRecords}, chosen by
 * measurement (300 acknowledged messages, SIGKILL, then the newest WAL damaged): RocksDB's default
 * {@code PointInTimeRecovery} stops at a 4 KiB overwrite in the middle and opens with 150 of 300 messages
 * without a word; {@code TolerateCorruptedTailRecords} and {@code AbsoluteConsistency} both fail the open
 * ("checksum mismatch"); a truncated WAL is accepted by every mode except {@code AbsoluteConsistency}, which
 * however also refuses the incomplete last record a power cut leaves behind (a write that was never synced,
 * so never acknowledged), which would stop the MTA after every power cut. So: tolerate an incomplete tail,
 * fail on a corrupt record, and catch truncation with the {@link CommitMark} (the sequence number of the
 * last acknowledging commit, outside the WAL): a recovered sequence number below it is a loss. Either
 * damage is a {@link SpoolDamagedException} unless the operator salvages ({@link SpoolRecovery#SALVAGE}):
 * then the WAL files are copied into a dated {@code salvage-NAME-TIME} directory next to the spool and the
 * spool opens with {@code SkipAnyCorruptedRecords} (measured: 292 of the 300 kept), and the loss is logged.
 *
 * <p>A block checksum mismatch in an SST or blob file ({@link RocksDB#verifyChecksum()} at open) quarantines
 * the entries that cannot be read ({@link Quarantine}): the readable ones are copied into a fresh database
 * that takes the spool's place, the damaged one is moved into a {@code salvage-NAME-TIME} directory, and the
 * MTA runs with the rest.
 *
 * <p>A failed write (disk full) leaves RocksDB in a background error state that RocksJava cannot resume;
 * the writer thread reopens the database once a second until that succeeds, and {@link #writeProblem()}
 * says why ingress must refuse meanwhile.
 */
public final class RocksDbSpool implements Spool {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbSpool.class);
    private static final byte[] META_CF = "meta".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DATA_CF = "data".getBytes(StandardCharsets.UTF_8);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final int REBUILD_BATCH = 1000;
    /** Up to about this many messages the ids are read at open (a few milliseconds), beyond by the first walk. */
    private static final long READ_IDS_AT_OPEN = 10_000;

    static {
        RocksDB.loadLibrary();
    }

    private final SpoolConfig config;
    private final SpoolMetrics metrics;
    private final ColumnFamilyOptions metaOptions;
    private final ColumnFamilyOptions dataOptions;
    private final ColumnFamilyOptions defaultOptions = new ColumnFamilyOptions();
    private final List<ColumnFamilyDescriptor> descriptors;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions plainWrite = new WriteOptions().setSync(false);
    // the ids stored before the open are reported by the first walk (loadAll), not read at open
    private final SpoolIds ids = SpoolIds.walked(this::holds);
    // the writer thread's buffers for data written from a received file (RocksDB takes direct buffers only)
    private final ByteBuffer directKey = ByteBuffer.allocateDirect(16);
    private ByteBuffer directValue;
    private final GroupCommitter committer;
    // replaced only by the constructor and by the writer thread's reopen after a failed write
    private volatile Db db;
    // readers of db on other threads (reads, the enumeration) hold the read lock while they use it; closing it (the
    // writer's reopen, close()) takes the write lock: RocksDB crashes the process on a handle closed under a read
    private final ReentrantReadWriteLock dbLock = new ReentrantReadWriteLock();
    private volatile boolean closed;
    /** How long a read waits for the writer's reopen after a failed write before it fails. */
    private static final long REOPEN_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private CommitMark mark;
    private boolean markFailureLogged;
    private final Object verifyLock = new Object();
    private boolean verified; // guarded by verifyLock: the checksums were checked (before the first walk)
    private volatile String rebuilding; // while damaged files are quarantined: why ingress must wait

    /** One open database with its column family handles and options. */
    private record Db(RocksDB rocks, DBOptions options, List<ColumnFamilyHandle> handles) {
        ColumnFamilyHandle meta() {
            return handles.get(1);
        }

        ColumnFamilyHandle data() {
            return handles.get(2);
        }

        void close() {
            handles.forEach(ColumnFamilyHandle::close);
            rocks.close();
            options.close();
        }
    }

    public RocksDbSpool(SpoolConfig config, SpoolMetrics metrics) throws IOException {
        this(config, metrics, Syncer.DIRECT, SpoolRecovery.STRICT);
    }

    RocksDbSpool(SpoolConfig config, SpoolMetrics metrics, Syncer syncer, SpoolRecovery recovery) throws IOException {
        this.config = config;
        this.metrics = metrics;
        Files.createDirectories(config.path());
        metaOptions = new ColumnFamilyOptions();
        // a memtable holds whole messages until its flush writes them to blob files: 32 MiB (two of them at most)
        // bounds that share of the resident memory (docs/benchmarks.md, "Backlog")
        dataOptions = new ColumnFamilyOptions().setWriteBufferSize(32L << 20)
                .setEnableBlobFiles(true).setMinBlobSize(4096).setEnableBlobGarbageCollection(true);
        descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
                new ColumnFamilyDescriptor(META_CF, metaOptions),
                new ColumnFamilyDescriptor(DATA_CF, dataOptions));
        try {
            openChecked(recovery);
            mark = CommitMark.open(config.path());
            mark.write(db.rocks().getLatestSequenceNumber(), ids.size());
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        metrics.quarantined.labelValues(config.name()).set(Quarantine.read(config.path()).size());
        // the writer thread starts in start(), a step of the MTA's lifecycle
        committer = new GroupCommitter(config.name(), config.flush(), new GroupCommitter.BatchWriter() {
            @Override
            public void write(List<SpoolOp> ops, boolean sync) throws Exception {
                RocksDbSpool.this.write(ops, sync);
            }

            @Override
            public void recover() throws Exception {
                reopen();
            }
        }, syncer, metrics, ids);
        LOG.info("spool {}: RocksDB at {} (flush = {}), {}{} messages", config.name(), config.path(),
                config.flush(), ids.complete() ? "" : "about ", ids.size());
    }

    /** Opens the database, checks it against the commit mark and its checksums, salvaging as asked. */
    private void openChecked(SpoolRecovery recovery) throws IOException {
        Optional<CommitMark.Mark> recorded = CommitMark.read(config.path());
        Instant now = Instant.now();
        Path salvage = salvageDir(now);
        if (recovery == SpoolRecovery.SALVAGE) {
            copyAside(salvage);
        }
        String walDamage = null;
        try {
            db = open(WALRecoveryMode.TolerateCorruptedTailRecords);
        } catch (RocksDBException e) {
            if (!corruption(e)) {
                throw new IOException("cannot open RocksDB spool " + config.name() + " at " + config.path() + ": "
                        + e.getMessage(), e);
            }
            walDamage = e.getMessage();
            if (recovery == SpoolRecovery.STRICT) {
                throw new SpoolDamagedException("spool " + config.name() + " at " + config.path()
                        + ": the write-ahead log is damaged (" + walDamage + "); the acknowledged messages after the"
                        + " damage would be lost" + recorded.map(m -> " (the last acknowledging commit left "
                        + m.messages() + " message(s) in the spool)").orElse("") + ". Nothing was changed. `sluice mta --salvage-spool` keeps every"
                        + " readable message and moves the damaged files aside.", e);
            }
            try {
                db = open(WALRecoveryMode.SkipAnyCorruptedRecords);
            } catch (RocksDBException again) {
                throw new IOException("cannot salvage RocksDB spool " + config.name() + " at " + config.path() + ": "
                        + again.getMessage(), again);
            }
        }
        long sequence = db.rocks().getLatestSequenceNumber();
        String lost = null;
        if (recorded.isPresent() && sequence < recorded.get().sequence()) {
            lost = "the write-ahead log recovered writes up to sequence number " + sequence + " but "
                    + recorded.get().sequence() + " had been committed (a truncated log file?)";
        } else if (walDamage != null) {
            lost = "the write-ahead log is damaged (" + walDamage + "); its corrupted records were skipped";
        }
        if (lost != null) {
            loadIds(); // the damage report counts what is readable (rare: the cost of a full walk is fine here)
            String counts = recorded.map(m -> "; the last acknowledging commit left " + m.messages()
                    + " message(s), " + ids.size() + " are readable now: "
                    + Math.max(0, m.messages() - ids.size()) + " acknowledged message(s) lost").orElse(
                    "; " + ids.size() + " message(s) are readable (the number committed before is unknown)");
            if (recovery == SpoolRecovery.STRICT) {
                closeQuietly();
                throw new SpoolDamagedException("spool " + config.name() + " at " + config.path() + ": " + lost
                        + counts + ". `sluice mta --salvage-spool` keeps every readable message and runs.");
            }
            LOG.error("spool {} at {}: salvaged: {}{}; the damaged files are kept in {}", config.name(),
                    config.path(), lost, counts, salvage);
        } else if (recovery == SpoolRecovery.SALVAGE) {
            deleteCopy(salvage);
            LOG.info("spool {}: --salvage-spool found no damaged write-ahead log", config.name());
        }
        if (!ids.complete()) {
            expectIds(recorded);
        }
        // the checksums of every file are verified before the first walk (verifyOnce), not here: that reads all of
        // the spool, and the listeners open after this
    }

    /**
     * A small spool's ids are read now (bounded: at most {@link #READ_IDS_AT_OPEN}); a larger one's stand as an
     * estimate until the walk: the smaller of RocksDB's key estimate (which counts every meta update of a key) and
     * the commit mark's count (which misses the removals after the last acknowledging commit), both at least the truth.
     */
    private void expectIds(Optional<CommitMark.Mark> recorded) {
        long estimate;
        try {
            estimate = db.rocks().getLongProperty(db.meta(), "rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            estimate = Long.MAX_VALUE;
        }
        if (recorded.isPresent()) {
            estimate = Math.min(estimate, recorded.get().messages());
        }
        if (estimate <= READ_IDS_AT_OPEN) {
            loadIds();
        } else {
            ids.expect(estimate);
        }
    }

    /** Whether the spool holds meta for {@code id} (asked for ids the walk has not reported yet). */
    private boolean holds(MessageId id) {
        dbLock.readLock().lock();
        try {
            Db d = db;
            return d == null || d.rocks().get(d.meta(), id.toBytes()) != null;
        } catch (RocksDBException e) {
            return true; // an update of a message that may be there is kept
        } finally {
            dbLock.readLock().unlock();
        }
    }

    private Db open(WALRecoveryMode mode) throws RocksDBException {
        DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxTotalWalSize(256L << 20).setKeepLogFileNum(3).setWalRecoveryMode(mode);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            return new Db(RocksDB.open(options, config.path().toString(), descriptors, handles), options, handles);
        } catch (RocksDBException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static boolean corruption(RocksDBException e) {
        return e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
    }

    /** Reads every id now (after damage: the report counts them, or the spool was rebuilt). */
    private void loadIds() {
        ids.clear();
        try (RocksIterator it = db.rocks().newIterator(db.meta())) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                ids.found(MessageId.fromBytes(it.key()));
            }
        }
        ids.allFound();
    }

    private Path salvageDir(Instant now) {
        Path abs = config.path().toAbsolutePath();
        return abs.resolveSibling("salvage-" + abs.getFileName() + "-" + STAMP.format(now));
    }

    /** Copies the WAL files and the commit mark (what a salvage may change) into {@code salvage}. */
    private void copyAside(Path salvage) throws IOException {
        Files.createDirectories(salvage);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(config.path())) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (n.endsWith(".log") || n.equals(CommitMark.FILE) || n.startsWith("MANIFEST-") || n.equals("CURRENT")) {
                    Files.copy(f, salvage.resolve(n));
                }
            }
        }
    }

    private static void deleteCopy(Path salvage) throws IOException {
        try (var walk = Files.walk(salvage)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Verifies every SST and blob file's checksums; on a mismatch, copies every readable entry into a fresh
     * database that replaces the spool, lists the unreadable ones in the {@link Quarantine} and moves the damaged
     * database aside.
     */
    private void verifyOnce() throws IOException {
        synchronized (verifyLock) {
            if (verified) {
                return;
            }
            long t0 = System.nanoTime();
            String damage;
            dbLock.readLock().lock();
            try {
                awaitOpen().rocks().verifyChecksum();
                damage = null;
            } catch (RocksDBException e) {
                if (!corruption(e)) {
                    throw new IOException("spool " + config.name() + ": verifying checksums failed: " + e.getMessage(),
                            e);
                }
                damage = e.getMessage();
            } finally {
                dbLock.readLock().unlock();
            }
            if (damage == null) {
                LOG.info("spool {}: the checksums of every file hold ({} ms)", config.name(),
                        (System.nanoTime() - t0) / 1_000_000);
            } else {
                LOG.error("spool {} at {}: damaged ({}); quarantining the messages that cannot be read",
                        config.name(), config.path(), damage);
                rebuilding = "spool " + config.name() + ": quarantining damaged files, new messages wait";
                try {
                    // on the writer thread, between two commits: nothing is written to the spool meanwhile
                    committer.exclusive(() -> quarantine(Instant.now())).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("spool " + config.name() + ": interrupted while quarantining", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io
                            : new IOException("spool " + config.name() + ": quarantine failed: " + e.getCause(), e);
                } finally {
                    rebuilding = null;
                }
            }
            verified = true;
        }
    }

    /** On the writer thread: copies the readable messages into a fresh database, which takes the spool's place. */
    private void quarantine(Instant now) throws IOException {
        Path abs = config.path().toAbsolutePath();
        Path salvage = salvageDir(now).resolve(abs.getFileName().toString());
        Files.createDirectories(salvage.getParent());
        Path fresh = abs.resolveSibling(abs.getFileName() + ".rebuild-" + STAMP.format(now));
        List<Quarantine.Entry> bad = new ArrayList<>();
        int kept;
        try {
            Db target = openAt(fresh);
            try {
                kept = copyReadable(target, bad, salvage, now);
                try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
                    target.rocks().flush(flush, target.handles());
                }
            } finally {
                target.close();
            }
        } catch (RocksDBException e) {
            throw new IOException("spool " + config.name() + ": cannot rebuild the damaged spool in " + fresh + ": "
                    + e.getMessage(), e);
        }
        Path list = abs.resolve(Quarantine.FILE);
        if (Files.exists(list)) {
            Files.copy(list, fresh.resolve(Quarantine.FILE));
        }
        dbLock.writeLock().lock(); // readers wait for the swap (awaitOpen)
        try {
            db.close();
            db = null;
            moveDir(abs, salvage);
            moveDir(fresh, abs);
            Files.deleteIfExists(fresh);
            Quarantine.append(abs, bad);
            try {
                db = open(WALRecoveryMode.TolerateCorruptedTailRecords);
            } catch (RocksDBException e) {
                throw new IOException("spool " + config.name() + ": cannot open the rebuilt spool: " + e.getMessage(),
                        e);
            }
            loadIds();
            // the rebuilt database counts its sequence numbers afresh: the mark must not claim more than it has
            mark.write(db.rocks().getLatestSequenceNumber(), ids.size());
        } finally {
            dbLock.writeLock().unlock();
        }
        metrics.quarantined.labelValues(config.name()).set(Quarantine.read(abs).size());
        for (Quarantine.Entry q : bad) {
            LOG.error("spool {}: quarantined message {} ({} -> {}): {}; not delivered, the damaged spool is kept in {}",
                    config.name(), q.id(), q.sender(), q.recipient(), q.reason(), salvage);
        }
        LOG.error("spool {}: {} message(s) quarantined, {} readable message(s) kept; list: sluice spool quarantine"
                + " --spool {}", config.name(), bad.size(), kept, abs);
    }

    private Db openAt(Path dir) throws RocksDBException {
        DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            return new Db(RocksDB.open(options, dir.toString(), descriptors, handles), options, handles);
        } catch (RocksDBException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** Copies each message whose meta and data can be read into {@code target}; returns how many. */
    private int copyReadable(Db target, List<Quarantine.Entry> bad, Path salvage, Instant now)
            throws RocksDBException {
        Set<MessageId> seen = new HashSet<>();
        int kept = 0;
        WriteBatch batch = new WriteBatch();
        try {
            String metaBroken = null;
            try (RocksIterator it = db.rocks().newIterator(db.meta())) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    MessageId id = MessageId.fromBytes(key);
                    seen.add(id);
                    byte[] metaBytes = it.value();
                    try {
                        byte[] body = db.rocks().get(db.data(), key);
                        if (body == null) {
                            LOG.warn("spool {}: message {} has meta but no data; skipped", config.name(), id);
                            continue;
                        }
                        batch.put(target.data(), key, body);
                        batch.put(target.meta(), key, metaBytes);
                        kept++;
                    } catch (RocksDBException e) {
                        bad.add(entry(id, "data unreadable: " + e.getMessage(), metaBytes, salvage, now));
                    }
                    if (batch.count() >= 2 * REBUILD_BATCH) {
                        target.rocks().write(plainWrite, batch);
                        batch.clear();
                    }
                }
                try {
                    it.status();
                } catch (RocksDBException e) {
                    metaBroken = e.getMessage();
                }
            }
            if (metaBroken != null) {
                // the meta column family cannot be walked past the damage: find the rest through the data keys
                try (RocksIterator it = db.rocks().newIterator(db.data())) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        byte[] key = it.key();
                        MessageId id = MessageId.fromBytes(key);
                        if (!seen.add(id)) {
                            continue;
                        }
                        try {
                            byte[] metaBytes = db.rocks().get(db.meta(), key);
                            byte[] body = db.rocks().get(db.data(), key);
                            if (metaBytes == null || body == null) {
                                continue;
                            }
                            batch.put(target.data(), key, body);
                            batch.put(target.meta(), key, metaBytes);
                            kept++;
                        } catch (RocksDBException e) {
                            bad.add(entry(id, "meta or data unreadable: " + e.getMessage(), null, salvage, now));
                        }
                    }
                    try {
                        it.status();
                    } catch (RocksDBException e) {
                        LOG.error("spool {}: neither column family can be read past the damage ({}; {}): messages"
                                + " stored there are not known and stay in {}", config.name(), metaBroken,
                                e.getMessage(), salvage);
                    }
                }
            }
            target.rocks().write(syncWrite, batch);
        } finally {
            batch.close();
        }
        return kept;
    }

    private static Quarantine.Entry entry(MessageId id, String reason, byte[] meta, Path salvage, Instant now) {
        String sender = null;
        String recipient = null;
        if (meta != null) {
            try {
                Message m = MetaCodec.decode(id, meta, new byte[0]);
                sender = m.sender();
                recipient = m.recipient();
            } catch (IOException | RuntimeException e) {
                reason += "; meta unreadable too";
            }
        }
        return new Quarantine.Entry(id.toString(), now.toString(), reason, sender, recipient, salvage.toString());
    }

    /** Renames a directory; when that is impossible (e.g. it is a mount point) moves its entries one by one. */
    private static void moveDir(Path from, Path to) throws IOException {
        try {
            Files.move(from, to);
            return;
        } catch (IOException e) {
            LOG.debug("cannot rename {} to {} ({}); moving its files", from, to, e.toString());
        }
        Files.createDirectories(to);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(from)) {
            for (Path f : files) {
                Files.move(f, to.resolve(f.getFileName()));
            }
        }
    }

    private void write(List<SpoolOp> ops, boolean sync) throws Exception {
        Db d = db;
        if (d == null) {
            throw new IOException("the database is closed after a failed write and could not be reopened yet");
        }
        boolean acknowledges = false;
        try (WriteBatch batch = new WriteBatch()) {
            for (SpoolOp op : ops) {
                byte[] key = op.id().toBytes();
                switch (op) {
                    case SpoolOp.Store s when s.spilled() != null -> {
                        // from the file it was received into, through one direct buffer: never on the heap
                        ByteBuffer value = directValue((int) s.spilled().size());
                        s.spilled().copyTo(value);
                        value.flip();
                        directKey.clear();
                        directKey.put(key).flip();
                        batch.put(d.data(), directKey, value);
                        batch.put(d.meta(), key, s.meta());
                        acknowledges = true;
                    }
                    case SpoolOp.Store s -> {
                        batch.put(d.data(), key, s.data());
                        batch.put(d.meta(), key, s.meta());
                        acknowledges = true;
                    }
                    case SpoolOp.UpdateMeta u -> {
                        batch.put(d.meta(), key, u.meta());
                        acknowledges = true;
                    }
                    case SpoolOp.Remove r -> {
                        batch.delete(d.meta(), key);
                        batch.delete(d.data(), key);
                    }
                }
            }
            d.rocks().write(sync ? syncWrite : plainWrite, batch);
            if (sync) {
                metrics.fsyncs.labelValues(config.name()).inc();
            }
        }
        if (acknowledges) {
            // not for removals alone: their WAL write is not synced, and the mark must never be ahead of the log
            try {
                mark.write(d.rocks().getLatestSequenceNumber(), expectedCount(ops));
            } catch (IOException e) {
                // the messages are in the log: acknowledge them; only the detection of a truncated log is weaker
                if (!markFailureLogged) {
                    markFailureLogged = true;
                    LOG.warn("spool {}: cannot update {}: {}", config.name(), CommitMark.FILE, e.toString());
                }
            }
        }
    }

    /**
     * The writer's direct buffer, cleared, with room for {@code size} bytes: one for the spool, as large as the
     * largest message written from a file so far (RocksDB copies a value into its batch, so it is reused at once).
     */
    private ByteBuffer directValue(int size) {
        if (directValue == null || directValue.capacity() < size) {
            directValue = ByteBuffer.allocateDirect(size > 1 << 29 ? size : Math.max(1 << 20, Integer.highestOneBit(size - 1) << 1));
        }
        return directValue.clear();
    }

    /** The messages in the spool once {@code ops} are applied (the committer updates {@link #ids} afterwards). */
    private long expectedCount(List<SpoolOp> ops) {
        java.util.Map<MessageId, Boolean> change = new java.util.HashMap<>();
        for (SpoolOp op : ops) {
            switch (op) {
                case SpoolOp.Store s -> change.put(s.id(), true);
                case SpoolOp.Remove r -> change.put(r.id(), false);
                case SpoolOp.UpdateMeta u -> { }
            }
        }
        long n = ids.size();
        for (var e : change.entrySet()) {
            boolean before = ids.known(e.getKey()); // no read of the store: the mark's count may be an estimate
            n += (e.getValue() ? 1 : 0) - (before ? 1 : 0);
        }
        return n;
    }

    /** The writer thread's recovery after a failed write: close and reopen (the WAL's complete records are kept). */
    private void reopen() throws Exception {
        Db old = db;
        if (old != null) {
            dbLock.writeLock().lock();
            try {
                db = null;
                old.close();
            } catch (RuntimeException e) {
                LOG.debug("spool {}: closing after a failed write: {}", config.name(), e.toString());
            } finally {
                dbLock.writeLock().unlock();
            }
        }
        db = open(WALRecoveryMode.TolerateCorruptedTailRecords); // reads wait for it (REOPEN_WAIT_NANOS)
    }

    @Override
    public Optional<String> writeProblem() {
        String r = rebuilding;
        return r != null ? Optional.of(r) : committer.problem();
    }

    @Override
    public void start() {
        committer.start();
    }

    @Override
    public CompletableFuture<Void> store(List<Message> messages) {
        return committer.store(messages);
    }

    @Override
    public CompletableFuture<Void> updateMeta(Message message) {
        return committer.updateMeta(message);
    }

    @Override
    public CompletableFuture<Void> remove(MessageId id) {
        return committer.remove(id);
    }

    @Override
    public void loadAll(Consumer<Message> sink) throws IOException {
        verifyOnce();
        dbLock.readLock().lock();
        try {
            loadAll(awaitOpen(), sink);
        } finally {
            dbLock.readLock().unlock();
        }
    }

    /** Under the read lock. */
    private void loadAll(Db d, Consumer<Message> sink) throws IOException {
        // the iterator reads a snapshot taken now: messages stored later (ingress runs meanwhile) are not seen
        try (RocksIterator it = d.rocks().newIterator(d.meta())) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                MessageId id = MessageId.fromBytes(it.key());
                ids.found(id); // before the message is scheduled, so that its removal finds it
                Message m;
                try {
                    m = MetaCodec.decodeShrunk(id, it.value(), this);
                } catch (IOException e) {
                    LOG.warn("spool {}: message {} has unreadable meta ({}); skipped", config.name(), id,
                            e.getMessage());
                    continue;
                }
                sink.accept(m);
            }
            try {
                it.status();
            } catch (RocksDBException e) {
                throw new IOException("spool " + config.name() + ": reading failed", e);
            }
            ids.allFound(); // a complete walk: every id stored before the open has been reported
        }
    }

    @Override
    public byte[] readData(MessageId id) throws IOException {
        return read(id, false);
    }

    @Override
    public byte[] readMeta(MessageId id) throws IOException {
        return MetaCodec.metaOf(id, read(id, true));
    }

    private byte[] read(MessageId id, boolean meta) throws IOException {
        String what = meta ? "meta" : "data";
        byte[] value;
        dbLock.readLock().lock();
        try {
            Db d = awaitOpen();
            value = d.rocks().get(meta ? d.meta() : d.data(), id.toBytes());
        } catch (RocksDBException e) {
            throw new IOException("spool " + config.name() + ": " + what + " of " + id + " unreadable: "
                    + e.getMessage(), e);
        } finally {
            dbLock.readLock().unlock();
        }
        if (value == null) {
            throw new IOException("spool " + config.name() + " has no " + what + " for " + id);
        }
        return value;
    }

    /**
     * The open database, holding the read lock; while the writer reopens it after a failed write (a full disk), waits
     * for that (the lock let go meanwhile) up to {@link #REOPEN_WAIT_NANOS}, so that a message read then is delayed,
     * not failed.
     */
    private Db awaitOpen() throws IOException {
        long deadline = System.nanoTime() + REOPEN_WAIT_NANOS;
        for (Db d = db; ; d = db) {
            if (d != null) {
                return d;
            }
            if (closed || System.nanoTime() - deadline > 0) {
                throw new IOException("spool " + config.name() + (closed ? " is closed"
                        : " is still reopening after a failed write"));
            }
            dbLock.readLock().unlock();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("spool " + config.name() + ": interrupted while it reopens", e);
            } finally {
                dbLock.readLock().lock();
            }
        }
    }

    @Override
    public long count() {
        return ids.size();
    }

    @Override
    public SpoolConfig config() {
        return config;
    }

    @Override
    public void close() {
        closed = true;
        committer.close();
        synchronized (this) {
            flushMemtables();
            closeQuietly();
        }
    }

    /**
     * A clean stop writes the memtables to table files, so that the next open has no write-ahead log to replay: a
     * drained backlog leaves millions of deletions there (1,000,000 messages: 2 million records, which took the
     * restart 84 s on a loaded disk before its listeners opened). After a crash the log is replayed as before.
     */
    private void flushMemtables() {
        Db d = db;
        if (d == null) {
            return;
        }
        long t0 = System.nanoTime();
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            d.rocks().flush(flush, d.handles());
            LOG.debug("spool {}: memtables flushed at close in {} ms", config.name(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (RocksDBException | RuntimeException e) {
            LOG.warn("spool {}: flushing the memtables at close failed ({}); the next start replays the write-ahead"
                    + " log", config.name(), e.getMessage());
        }
    }

    private void closeQuietly() {
        dbLock.writeLock().lock();
        try {
            Db d = db;
            db = null;
            if (d != null) {
                d.close();
            }
        } finally {
            dbLock.writeLock().unlock();
        }
        if (mark != null) {
            try {
                mark.close();
            } catch (IOException e) {
                LOG.debug("spool {}: closing the commit mark: {}", config.name(), e.toString());
            }
            mark = null;
        }
        if (syncWrite.isOwningHandle()) {
            syncWrite.close();
            plainWrite.close();
            metaOptions.close();
            dataOptions.close();
            defaultOptions.close();
        }
    }
}
