package dev.sluice.mta.log;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Reads the record lines of a log directory in order, including the segment still being written, and can be
 * polled again for what was added since ({@code sluice logs --follow}).
 *
 * <p>The open segment is decoded in zstd's continuous mode: the writer flushes whole lines, so everything up to
 * the last flush is readable even though the frame is not finished. A line is only handed out once its line break
 * has arrived. A segment is finished when it is marked done (read-only) or a later segment exists; a finished
 * segment that ends in the middle of a line or a frame (the writer was killed) is reported to {@code warnings}
 * and the reader carries on with the next one. (A segment seen open and then finished by a restarted writer is
 * only checked for a cut-off line, not for a cut-off frame.) Not thread-safe.
 */
public final class LogReader implements AutoCloseable {
    private final Path dir;
    private final Consumer<String> warnings;
    private Path current;
    private InputStream in;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final byte[] buf = new byte[64 * 1024];

    public LogReader(Path dir, Consumer<String> warnings) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.warnings = Objects.requireNonNull(warnings, "warnings");
    }

    /** Every complete record line in {@code dir} now, oldest first. */
    public static List<String> readAllLines(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var reader = new LogReader(dir, w -> {})) {
            reader.poll(lines::add);
        }
        return lines;
    }

    /** Every record in {@code dir} now, parsed. */
    public static List<LogRecord> readAll(Path dir) throws IOException {
        return readAllLines(dir).stream().map(LogRecord::parse).toList();
    }

    /**
     * Hands every complete line available now to {@code lines}, moving on through finished segments; returns how
     * many. Never waits: call again later to follow.
     */
    public int poll(Consumer<String> lines) throws IOException {
        int count = 0;
        while (true) {
            if (current == null && !openNext()) {
                return count;
            }
            count += drain(lines);
            // at the end of what is on disk now: is there more to come in this segment?
            boolean finished = !Files.exists(current) || Segments.isDone(current) || !later(current).isEmpty();
            if (!finished) {
                return count;
            }
            count += drain(lines); // the writer may have added its last block before marking it done
            if (partial.size() > 0) {
                warnings.accept(current.getFileName() + ": ends inside a record (" + partial.size()
                        + " bytes skipped); the writer was probably stopped");
            }
            closeCurrent();
            // the next openNext() continues after `current`, remembered in `last`
        }
    }

    private Path last;

    private boolean openNext() throws IOException {
        List<Path> next = last == null ? Segments.list(dir) : later(last);
        if (next.isEmpty()) {
            return false;
        }
        current = next.getFirst();
        last = current;
        // a segment that is already finished is decoded strictly, so that a cut-off frame is reported; one that
        // may still grow is decoded in continuous mode, which waits at the end of the data instead of failing
        boolean finished = Segments.isDone(current) || next.size() > 1;
        in = new ZstdInputStream(Files.newInputStream(current)).setContinuous(!finished);
        partial.reset();
        return true;
    }

    private List<Path> later(Path p) throws IOException {
        return Segments.list(dir).stream().filter(s -> Segments.ORDER.compare(s, p) > 0).toList();
    }

    /** Reads to the current end of the file, emitting complete lines and keeping the rest. */
    private int drain(Consumer<String> lines) {
        int count = 0;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        partial.write(buf, start, i - start);
                        String line = partial.toString(StandardCharsets.UTF_8);
                        partial.reset();
                        start = i + 1;
                        if (!line.isBlank()) {
                            lines.accept(line);
                            count++;
                        }
                    }
                }
                partial.write(buf, start, n - start);
            }
        } catch (IOException e) {
            // a damaged frame: what was decoded before it has been handed out
            warnings.accept(current.getFileName() + ": cannot decode the rest (" + e.getMessage() + ")");
            forceFinish();
        }
        return count;
    }

    /** Damaged: treat as finished with nothing more to read. */
    private void forceFinish() {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing a broken stream
        }
        in = InputStream.nullInputStream();
        partial.reset();
    }

    private void closeCurrent() throws IOException {
        if (in != null) {
            in.close();
        }
        in = null;
        current = null;
        partial.reset();
    }

    @Override
    public void close() throws IOException {
        closeCurrent();
    }
}
