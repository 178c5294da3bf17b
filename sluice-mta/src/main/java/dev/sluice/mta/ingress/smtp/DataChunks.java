package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.message.SpillFile;
import dev.sluice.mta.message.SpilledData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The message data of one DATA command while it arrives: 64 KiB chunks instead of one array that doubles as it
 * grows (which holds up to twice the message, and copies it at each step). {@link #take} builds the one array the
 * message keeps and lets go of each chunk as it is copied, so a message is on the heap about once, not three times.
 *
 * <p>A message that grows past {@code spillAt} bytes goes to a {@link SpillFile} instead (in {@code spillDirectory},
 * on the spool's disk): what was kept so far is written there, and from then on at most one 64 KiB chunk of it is on
 * the heap, whatever its size; {@link #spilled()} says so and {@link #takeSpilled} hands the file over. A write
 * that fails (disk full) drops the data and is remembered ({@link #failure}); {@link #discard} closes the file of a
 * message that will not be taken (the client went away, or it is too big).
 */
final class DataChunks {
    static final int CHUNK = 64 * 1024;
    /** Above this many bytes a message's data goes to a file rather than staying on the heap. */
    static final long SPILL_AT = 256 * 1024;

    private final Path spillDirectory;
    private final long spillAt;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int used; // bytes used in current
    private long size;
    private SpillFile file; // non-null once spilled: then chunks is empty and current is the write buffer
    private IOException failure;

    /** Data kept on the heap whatever its size. */
    DataChunks() {
        this(null, Long.MAX_VALUE);
    }

    /** @param spillDirectory where a message larger than {@code spillAt} bytes is written */
    DataChunks(Path spillDirectory, long spillAt) {
        this.spillDirectory = spillDirectory;
        this.spillAt = spillDirectory == null ? Long.MAX_VALUE : spillAt;
    }

    long size() {
        return size;
    }

    void write(int b) {
        if (failure != null) {
            return;
        }
        if (current == null || used == current.length) {
            next();
            if (failure != null) {
                return;
            }
        }
        current[used++] = (byte) b;
        size++;
    }

    void write(byte[] bytes, int off, int len) {
        if (failure != null) {
            return;
        }
        if (file == null && size + len > spillAt) {
            spill();
        }
        while (len > 0) {
            if (current == null || used == current.length) {
                next();
                if (failure != null) {
                    return;
                }
            }
            int n = Math.min(len, current.length - used);
            System.arraycopy(bytes, off, current, used, n);
            used += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    private void next() {
        if (file != null) {
            flush();
            if (failure != null) {
                return;
            }
            if (current == null) {
                current = new byte[CHUNK];
            }
            used = 0;
            return;
        }
        current = new byte[CHUNK];
        used = 0;
        chunks.add(current);
    }

    /** From now on the data goes to a file: the chunks kept so far first. */
    private void spill() {
        try {
            file = SpillFile.create(spillDirectory);
            for (byte[] c : chunks) {
                file.append(c, 0, c == current ? used : c.length);
            }
        } catch (IOException e) {
            fail(e);
            return;
        }
        chunks.clear();
        used = 0;
    }

    private void flush() {
        if (current == null || used == 0 || failure != null) {
            return;
        }
        try {
            file.append(current, 0, used);
            used = 0;
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        failure = e;
        discard();
    }

    /** Whether the data went to a file (take it with {@link #takeSpilled}). */
    boolean spilled() {
        return file != null;
    }

    /** Why the data could not be written to its file, or null. */
    IOException failure() {
        return failure;
    }

    /** The data in its file; the caller owns (and closes) the file from now on. */
    SpilledData takeSpilled() throws IOException {
        flush();
        if (failure != null) {
            throw failure;
        }
        SpilledData out = file.finish();
        file = null;
        current = null;
        size = 0;
        return out;
    }

    /** Drops the data (closes its file, if any); nothing is taken afterwards. */
    void discard() {
        if (file != null) {
            file.close();
            file = null;
        }
        chunks.clear();
        current = null;
        used = 0;
    }

    /** The data as one array; this buffer is empty afterwards. */
    byte[] take() {
        byte[] out = new byte[Math.toIntExact(size)];
        int at = 0;
        for (int i = 0; i < chunks.size(); i++) {
            byte[] c = chunks.get(i);
            int n = (int) Math.min(c.length, size - at);
            System.arraycopy(c, 0, out, at, n);
            at += n;
            chunks.set(i, null); // garbage now: the copy does not hold the message twice
        }
        chunks.clear();
        current = null;
        used = 0;
        size = 0;
        return out;
    }
}
