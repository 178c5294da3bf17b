package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KumoMTA's default kind: one file per message in {@code path/data} and one in {@code path/meta}, named by
 * the message id. A file is written under {@code ID.tmp} and renamed, so a crash never leaves a torn file.
 * The meta file is what makes a message exist: it is renamed into place only after the data file is.
 *
 * <p>A group commit writes all files of the batch, and with {@code flush} fsyncs each file (side by side
 * on a small thread pool), renames the data files, fsyncs {@code data/} once, renames the meta files and
 * fsyncs {@code meta/} once. Without
 * {@code flush} the files are in the OS page cache when the futures complete, which survives SIGKILL.
 */
public final class LocalDiskSpool implements Spool {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDiskSpool.class);
    private static final String TMP = ".tmp";
    private static final int FSYNC_THREADS = 16;

    private final SpoolConfig config;
    private final SpoolMetrics metrics;
    private final Path dataDir;
    private final Path metaDir;
    private final SpoolIds ids = SpoolIds.listed(); // the directory is listed at open
    private final GroupCommitter committer;
    private final ExecutorService fsyncPool = Executors.newFixedThreadPool(FSYNC_THREADS,
            Thread.ofPlatform().name("spool-fsync-", 0).daemon(true).factory());

    public LocalDiskSpool(SpoolConfig config, SpoolMetrics metrics) throws IOException {
        this(config, metrics, Syncer.DIRECT);
    }

    LocalDiskSpool(SpoolConfig config, SpoolMetrics metrics, Syncer syncer) throws IOException {
        this.config = config;
        this.metrics = metrics;
        this.dataDir = Files.createDirectories(config.path().resolve("data"));
        this.metaDir = Files.createDirectories(config.path().resolve("meta"));
        cleanUp();
        ids.allFound();
        this.committer = new GroupCommitter(config.name(), config.flush(), this::write, syncer, metrics, ids);
        LOG.info("spool {}: LocalDisk at {} (flush = {}), {} messages", config.name(), config.path(),
                config.flush(), ids.size());
    }

    /** Finds the spooled ids; deletes temp files and data without meta (never acknowledged: crash mid-store). */
    private void cleanUp() throws IOException {
        Set<String> metaNames = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(metaDir)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (n.endsWith(TMP)) {
                    Files.deleteIfExists(f);
                } else if (parse(n) != null) {
                    metaNames.add(n);
                    ids.found(parse(n));
                }
            }
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (n.endsWith(TMP) || (parse(n) != null && !metaNames.contains(n))) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static MessageId parse(String name) {
        try {
            return MessageId.parse(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void write(List<SpoolOp> ops, boolean sync) throws IOException {
        // Last operation per id wins, keeping a store's data when a meta update follows it in the same batch.
        Map<MessageId, SpoolOp> last = new LinkedHashMap<>();
        for (SpoolOp op : ops) {
            SpoolOp before = last.get(op.id());
            if (op instanceof SpoolOp.UpdateMeta u && before instanceof SpoolOp.Store s) {
                last.put(op.id(), new SpoolOp.Store(s.id(), u.meta(), s.data(), s.spilled()));
            } else if (op instanceof SpoolOp.Remove && before instanceof SpoolOp.Store) {
                last.put(op.id(), op); // may never have reached the disk; removal below tolerates that
            } else {
                last.put(op.id(), op);
            }
        }
        List<MessageId> newData = new ArrayList<>();
        List<MessageId> newMeta = new ArrayList<>();
        List<MessageId> removed = new ArrayList<>();
        List<Callable<Void>> fileWrites = new ArrayList<>();
        for (SpoolOp op : last.values()) {
            switch (op) {
                case SpoolOp.Store s -> {
                    fileWrites.add(() -> s.spilled() != null ? writeFile(tmp(dataDir, s.id()), s.spilled(), sync)
                            : writeFile(tmp(dataDir, s.id()), s.data(), sync));
                    fileWrites.add(() -> writeFile(tmp(metaDir, s.id()), s.meta(), sync));
                    newData.add(s.id());
                    newMeta.add(s.id());
                }
                case SpoolOp.UpdateMeta u -> {
                    fileWrites.add(() -> writeFile(tmp(metaDir, u.id()), u.meta(), sync));
                    newMeta.add(u.id());
                }
                case SpoolOp.Remove r -> removed.add(r.id());
            }
        }
        writeAll(fileWrites, sync);
        publish(dataDir, newData, sync);
        publish(metaDir, newMeta, sync);
        for (MessageId id : removed) {
            Files.deleteIfExists(metaDir.resolve(id.toString())); // first: without meta the message is gone
            Files.deleteIfExists(dataDir.resolve(id.toString()));
        }
    }

    /**
     * With {@code sync}, the files' fsyncs run side by side (the filesystem journal commits them together)
     * instead of one after another on the writer thread; the batch fails if any file fails.
     */
    private void writeAll(List<Callable<Void>> fileWrites, boolean sync) throws IOException {
        if (!sync || fileWrites.size() == 1) {
            for (Callable<Void> w : fileWrites) {
                call(w);
            }
            return;
        }
        List<Future<Void>> pending = new ArrayList<>(fileWrites.size());
        for (Callable<Void> w : fileWrites) {
            pending.add(fsyncPool.submit(w));
        }
        IOException failure = null;
        for (Future<Void> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing spool files", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void call(Callable<Void> w) throws IOException {
        try {
            w.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** The data of a message received into a file: copied from that file by the kernel. */
    private Void writeFile(Path file, dev.sluice.mta.message.SpilledData content, boolean sync) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            content.transferTo(ch);
            if (sync) {
                ch.force(true);
                metrics.fsyncs.labelValues(config.name()).inc();
            }
        }
        return null;
    }

    private Void writeFile(Path file, byte[] content, boolean sync) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (sync) {
                ch.force(true);
                metrics.fsyncs.labelValues(config.name()).inc();
            }
        }
        return null;
    }

    private void publish(Path dir, List<MessageId> names, boolean sync) throws IOException {
        if (names.isEmpty()) {
            return;
        }
        for (MessageId id : names) {
            Files.move(tmp(dir, id), dir.resolve(id.toString()), StandardCopyOption.ATOMIC_MOVE);
        }
        if (sync) {
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true); // makes the renames durable
            }
            metrics.fsyncs.labelValues(config.name()).inc();
        }
    }

    private static Path tmp(Path dir, MessageId id) {
        return dir.resolve(id + TMP);
    }

    @Override
    public java.util.Optional<String> writeProblem() {
        return committer.problem();
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
        List<MessageId> sorted = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(metaDir)) {
            for (Path f : files) {
                MessageId id = parse(f.getFileName().toString());
                if (id != null) {
                    sorted.add(id);
                }
            }
        }
        sorted.sort(null);
        for (MessageId id : sorted) {
            try {
                byte[] meta = Files.readAllBytes(metaDir.resolve(id.toString()));
                sink.accept(MetaCodec.decodeShrunk(id, meta, this));
            } catch (NoSuchFileException e) {
                LOG.debug("spool {}: message {} left the spool while it was read ({})", config.name(), id, e.getFile());
            } catch (IOException e) {
                LOG.warn("spool {}: message {} is unreadable ({}); skipped", config.name(), id, e.toString());
            }
        }
    }

    @Override
    public byte[] readData(MessageId id) throws IOException {
        return Files.readAllBytes(dataDir.resolve(id.toString()));
    }

    @Override
    public byte[] readMeta(MessageId id) throws IOException {
        return MetaCodec.metaOf(id, Files.readAllBytes(metaDir.resolve(id.toString())));
    }

    @Override
    public long count() {
        return ids.size();
    }

    @Override
    public void start() {
        committer.start();
    }

    @Override
    public SpoolConfig config() {
        return config;
    }

    @Override
    public void close() {
        committer.close();
        fsyncPool.shutdown();
    }
}
