package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
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
 */
public final class RocksDbSpool implements Spool {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbSpool.class);
    private static final byte[] META_CF = "meta".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final byte[] DATA_CF = "data".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    private final SpoolConfig config;
    private final SpoolMetrics metrics;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions metaOptions;
    private final ColumnFamilyOptions dataOptions;
    private final ColumnFamilyOptions defaultOptions = new ColumnFamilyOptions();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final RocksDB db;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle data;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions plainWrite = new WriteOptions().setSync(false);
    private final Set<MessageId> ids = ConcurrentHashMap.newKeySet();
    private final GroupCommitter committer;

    public RocksDbSpool(SpoolConfig config, SpoolMetrics metrics) throws IOException {
        this(config, metrics, Syncer.DIRECT);
    }

    RocksDbSpool(SpoolConfig config, SpoolMetrics metrics, Syncer syncer) throws IOException {
        this.config = config;
        this.metrics = metrics;
        Files.createDirectories(config.path());
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxTotalWalSize(256L << 20).setKeepLogFileNum(3);
        metaOptions = new ColumnFamilyOptions();
        dataOptions = new ColumnFamilyOptions().setWriteBufferSize(64L << 20)
                .setEnableBlobFiles(true).setMinBlobSize(4096).setEnableBlobGarbageCollection(true);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
                new ColumnFamilyDescriptor(META_CF, metaOptions),
                new ColumnFamilyDescriptor(DATA_CF, dataOptions));
        try {
            db = RocksDB.open(dbOptions, config.path().toString(), descriptors, handles);
        } catch (RocksDBException e) {
            closeOptions();
            throw new IOException("cannot open RocksDB spool " + config.name() + " at " + config.path() + ": "
                    + e.getMessage(), e);
        }
        meta = handles.get(1);
        data = handles.get(2);
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                ids.add(MessageId.fromBytes(it.key()));
            }
        }
        committer = new GroupCommitter(config.name(), config.flush(), this::write, syncer, metrics, ids);
        LOG.info("spool {}: RocksDB at {} (flush = {}), {} messages", config.name(), config.path(),
                config.flush(), ids.size());
    }

    private void write(List<SpoolOp> ops, boolean sync) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            for (SpoolOp op : ops) {
                byte[] key = op.id().toBytes();
                switch (op) {
                    case SpoolOp.Store s -> {
                        batch.put(data, key, s.data());
                        batch.put(meta, key, s.meta());
                    }
                    case SpoolOp.UpdateMeta u -> batch.put(meta, key, u.meta());
                    case SpoolOp.Remove r -> {
                        batch.delete(meta, key);
                        batch.delete(data, key);
                    }
                }
            }
            db.write(sync ? syncWrite : plainWrite, batch);
            if (sync) {
                metrics.fsyncs.labelValues(config.name()).inc();
            }
        }
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
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                MessageId id = MessageId.fromBytes(key);
                byte[] body;
                try {
                    body = db.get(data, key);
                } catch (RocksDBException e) {
                    throw new IOException("spool " + config.name() + ": cannot read data of " + id, e);
                }
                if (body == null) {
                    LOG.warn("spool {}: message {} has meta but no data; skipped", config.name(), id);
                    continue;
                }
                Message m;
                try {
                    m = MetaCodec.decode(id, it.value(), body);
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
        committer.close();
        synchronized (this) {
            if (db.isOwningHandle()) {
                handles.forEach(ColumnFamilyHandle::close);
                db.close();
                syncWrite.close();
                plainWrite.close();
                closeOptions();
            }
        }
    }

    private void closeOptions() {
        dbOptions.close();
        metaOptions.close();
        dataOptions.close();
        defaultOptions.close();
    }
}
