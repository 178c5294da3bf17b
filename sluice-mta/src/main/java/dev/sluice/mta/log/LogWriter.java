package dev.sluice.mta.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdOutputStream;
import dev.sluice.mta.message.Message;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records to zstd-compressed JSON-lines segments under {@link LogConfig#logDir()} on one background thread.
 *
 * <p>Producers hand records to a queue of {@link LogConfig#backPressure()} entries and block when it is full, as
 * KumoMTA does: the log keeps up or the MTA slows down, nothing is dropped. The thread opens a segment at the first
 * record, closes it once {@code max_file_size} uncompressed bytes are written or it is older than
 * {@code max_segment_duration} (checked also while idle), and then marks it read-only. It flushes the zstd stream
 * whenever it has been idle for a moment (and at least every second under load), so a reader sees records of the
 * open segment soon after they are logged; each closed segment is one complete zstd frame.
 */
public final class LogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);
    private static final Duration IDLE_FLUSH = Duration.ofMillis(100);
    private static final Duration MAX_FLUSH_INTERVAL = Duration.ofSeconds(1);
    /** Items the writer takes at once; a barrier's flush waits for at most this many: bounds an ack's wait. */
    private static final int FLUSH_BATCH = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LogConfig config;
    private final UUID nodeId;
    private final Clock clock;
    private final BlockingQueue<Item> queue;
    private final Thread thread;
    private volatile boolean closed;

    // owned by the writer thread
    private Segment segment;

    private sealed interface Item {}

    private record Entry(LogRecord record) implements Item {}

    private record Barrier(CompletableFuture<Void> done) implements Item {}

    private record Stop() implements Item {}

    /** The open segment: the file, the stream, and what the roll decisions need. */
    private static final class Segment {
        final Path path;
        final Instant openedAt;
        final OutputStream out;
        long uncompressed;
        boolean dirty;
        long lastFlushNanos = System.nanoTime();

        Segment(Path path, Instant openedAt, OutputStream out) {
            this.path = path;
            this.openedAt = openedAt;
            this.out = out;
        }
    }

    private LogWriter(LogConfig config, UUID nodeId, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.queue = new ArrayBlockingQueue<>(config.backPressure());
        this.thread = Thread.ofPlatform().daemon(false).name("log-writer " + config.logDir()).unstarted(this::run);
    }

    /**
     * Creates the directory, marks segments left writable by an earlier run as done (that run can no longer add to
     * them), and starts the writer thread.
     */
    public static LogWriter start(LogConfig config, UUID nodeId) throws IOException {
        return start(config, nodeId, Clock.systemUTC());
    }

    static LogWriter start(LogConfig config, UUID nodeId, Clock clock) throws IOException {
        Files.createDirectories(config.logDir());
        for (Path p : Segments.list(config.logDir())) {
            if (!Segments.isDone(p)) {
                Segments.markDone(p);
            }
        }
        LogWriter w = new LogWriter(config, nodeId, clock);
        w.thread.start();
        return w;
    }

    public LogConfig config() {
        return config;
    }

    /**
     * Logs a record about {@code message}: meta and headers are taken from the message (only the configured ones;
     * the header section is parsed only when headers are configured). Call it on the thread that owns the message.
     * Blocks while the queue is full.
     */
    public void log(LogRecord record, Message message) throws InterruptedException {
        if (!config.logs(record.type())) {
            return;
        }
        List<MessageHeader> headers = config.headers().isEmpty() ? List.of() : MessageHeader.parse(message.data());
        log(record, message.metaMap(), headers);
    }

    /** Logs a record with the configured subset of {@code meta} and {@code headers}. Blocks while the queue is full. */
    public void log(LogRecord record, Map<String, Object> meta, List<MessageHeader> headers)
            throws InterruptedException {
        if (!config.logs(record.type())) {
            return;
        }
        log(record.toBuilder().meta(selectMeta(meta)).headers(selectHeaders(headers)).build());
    }

    /** Logs the record as it is (its meta and headers unfiltered). Blocks while the queue is full. */
    public void log(LogRecord record) throws InterruptedException {
        if (closed) {
            throw new IllegalStateException("log writer for " + config.logDir() + " is closed");
        }
        if (config.logs(record.type())) {
            queue.put(new Entry(record));
        }
    }

    Map<String, Object> selectMeta(Map<String, Object> meta) {
        return select(config.meta(), meta);
    }

    Map<String, Object> selectHeaders(List<MessageHeader> headers) {
        return select(config.headers(), headers);
    }

    /** The meta entries whose keys {@code filter} matches. */
    static Map<String, Object> select(NameFilter filter, Map<String, Object> meta) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (filter.isEmpty()) {
            return out;
        }
        meta.forEach((k, v) -> {
            if (filter.matches(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The first field of each name {@code filter} matches; an exact pattern keeps its spelling as the key. */
    static Map<String, Object> select(NameFilter filter, List<MessageHeader> headers) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (MessageHeader h : headers) {
            if (!filter.matches(h.name())) {
                continue;
            }
            String key = filter.patterns().stream()
                    .filter(p -> !p.endsWith("*") && p.equalsIgnoreCase(h.name()))
                    .findFirst().orElse(h.name());
            out.putIfAbsent(key, h.value());
        }
        return out;
    }

    /**
     * Waits until everything logged before this call is written and flushed to the open segment (readable by
     * {@link LogReader}). For tests and for a clean shutdown.
     */
    public void flush() throws InterruptedException {
        if (closed) {
            return; // close() already wrote everything
        }
        var done = new CompletableFuture<Void>();
        queue.put(new Barrier(done));
        while (!done.isDone() && thread.isAlive()) {
            try {
                done.get(100, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // completes normally or not at all; the loop ends when the writer thread is gone
            }
        }
    }

    /**
     * Completes once every record logged before the call is written to the open segment's file: in the
     * operating system, so a SIGKILL of the MTA no longer loses it (it is not synced: power loss still can).
     * Ingress waits for this before it acknowledges, so every acknowledged message has its Reception record.
     * Barriers that queue up together share one flush. Blocks only while the queue is full, as {@link #log}.
     */
    public CompletableFuture<Void> written() {
        if (closed) {
            return CompletableFuture.completedFuture(null);
        }
        var done = new CompletableFuture<Void>();
        try {
            queue.put(new Barrier(done));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.complete(null);
        }
        return done;
    }

    /** Writes what is queued, closes the open segment (a complete zstd frame, marked done) and stops the thread. */
    @Override
    public void close() throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        queue.put(new Stop());
        thread.join();
    }

    /**
     * Takes what is queued in batches of up to {@link #FLUSH_BATCH} items: writes the records, then flushes once
     * for every barrier of the batch (its callers wait for it), or when {@link #MAX_FLUSH_INTERVAL} has passed.
     */
    private void run() {
        List<Item> batch = new ArrayList<>();
        List<CompletableFuture<Void>> barriers = new ArrayList<>();
        try {
            while (true) {
                long timeout = pollTimeoutNanos();
                Item first = timeout == Long.MAX_VALUE ? queue.take() : queue.poll(timeout, TimeUnit.NANOSECONDS);
                if (first == null) {
                    idle();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, FLUSH_BATCH - 1);
                for (int i = 0; i < batch.size(); i++) {
                    switch (batch.get(i)) {
                        case Entry e -> write(e.record());
                        case Barrier b -> barriers.add(b.done());
                        case Stop s -> {
                            closeSegment();
                            barriers.forEach(d -> d.complete(null));
                            releaseLateCallers(batch.subList(i + 1, batch.size()));
                            return;
                        }
                    }
                }
                batch.clear();
                if (!barriers.isEmpty() || segment != null && segment.dirty
                        && System.nanoTime() - segment.lastFlushNanos >= MAX_FLUSH_INTERVAL.toNanos()) {
                    flushSegment();
                }
                barriers.forEach(d -> d.complete(null));
                barriers.clear();
            }
        } catch (InterruptedException e) {
            closeSegment();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Calls that raced with close(), the rest of the stop's batch first: barriers are released, records that came
     * too late are counted.
     */
    private void releaseLateCallers(List<Item> taken) {
        List<Item> late = new ArrayList<>(taken);
        queue.drainTo(late);
        int dropped = 0;
        for (Item item : late) {
            if (item instanceof Barrier b) {
                b.done().complete(null);
            } else if (item instanceof Entry) {
                dropped++;
            }
        }
        if (dropped > 0) {
            LOG.warn("log {}: {} records logged while the writer was closing were not written", config.logDir(),
                    dropped);
        }
    }

    /** Until the next flush or age check is due; {@code Long.MAX_VALUE} when nothing is due (sleep until a record). */
    private long pollTimeoutNanos() {
        if (segment == null || (!segment.dirty && config.maxSegmentDuration().isEmpty())) {
            return Long.MAX_VALUE;
        }
        long timeout = segment.dirty ? IDLE_FLUSH.toNanos() : Long.MAX_VALUE;
        if (config.maxSegmentDuration().isPresent()) {
            Duration left = Duration.between(clock.instant(), segment.openedAt.plus(config.maxSegmentDuration().get()));
            long leftNanos = left.compareTo(Duration.ofDays(1)) > 0 ? Duration.ofDays(1).toNanos() : left.toNanos();
            timeout = Math.max(1_000_000L, Math.min(timeout, leftNanos));
        }
        return timeout;
    }

    private void idle() {
        if (segment == null) {
            return;
        }
        if (tooOld()) {
            closeSegment();
        } else if (segment.dirty) {
            flushSegment();
        }
    }

    private boolean tooOld() {
        return config.maxSegmentDuration()
                .map(d -> !clock.instant().isBefore(segment.openedAt.plus(d)))
                .orElse(false);
    }

    private void write(LogRecord record) {
        if (record.nodeid() == null) {
            record = record.toBuilder().nodeid(nodeId).build();
        }
        try {
            byte[] json = JSON.writeValueAsBytes(record);
            if (segment != null && tooOld()) {
                closeSegment();
            }
            if (segment == null) {
                segment = open();
            }
            segment.out.write(json);
            segment.out.write('\n');
            segment.uncompressed += json.length + 1;
            segment.dirty = true;
            if (segment.uncompressed >= config.maxFileSize()) {
                closeSegment();
            }
        } catch (IOException | RuntimeException e) {
            // a full disk must not stop the MTA: report, drop this segment, try a new one for the next record
            LOG.error("log {}: cannot write a {} record for {}: {}", config.logDir(), record.type(), record.id(),
                    e.toString());
            abandonSegment();
        }
    }

    private Segment open() throws IOException {
        Instant now = clock.instant();
        String base = Segments.baseName(now);
        Files.createDirectories(config.logDir());
        for (int n = 0; n < 100_000; n++) {
            Path path = config.logDir().resolve(n == 0 ? base : base + "." + n);
            OutputStream file;
            try {
                file = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            try {
                var zstd = new ZstdOutputStream(file, config.compressionLevel());
                return new Segment(path, now, new BufferedOutputStream(zstd, 64 * 1024));
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
        }
        throw new IOException("no free segment name for " + base + " in " + config.logDir());
    }

    private void flushSegment() {
        if (segment == null || !segment.dirty) {
            return;
        }
        try {
            segment.out.flush(); // BufferedOutputStream → ZstdOutputStream.flush ends a block, readable now
            segment.dirty = false;
            segment.lastFlushNanos = System.nanoTime();
        } catch (IOException e) {
            LOG.error("log {}: cannot flush {}: {}", config.logDir(), segment.path, e.toString());
            abandonSegment();
        }
    }

    private void closeSegment() {
        if (segment == null) {
            return;
        }
        Segment s = segment;
        segment = null;
        try {
            s.out.close(); // ends the zstd frame
            Segments.markDone(s.path);
        } catch (IOException e) {
            LOG.error("log {}: cannot close {}: {}", config.logDir(), s.path, e.toString());
        }
    }

    private void abandonSegment() {
        if (segment == null) {
            return;
        }
        Segment s = segment;
        segment = null;
        try {
            s.out.close();
        } catch (IOException ignored) {
            // already failing; the segment ends where the disk stopped taking data
        }
        try {
            Segments.markDone(s.path);
        } catch (IOException ignored) {
            // nothing more to do for it
        }
    }
}
