package dev.sluice.mta.message;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file without a name that holds the data of a message while it is received, so that a large message does not
 * sit on the heap: created in a directory on the spool's disk and unlinked at once, it lives only as long as its
 * open channel (a client that goes away mid-DATA, or a crash, leaves nothing behind).
 *
 * <p>One writer appends ({@link #append}), on the session's event loop; once {@link #finish}ed it is read by any
 * thread through {@link SpilledData} views. {@link #close} frees the disk space.
 */
public final class SpillFile implements AutoCloseable {
    private final FileChannel channel;
    private long length;
    private volatile boolean closed;

    private SpillFile(FileChannel channel) {
        this.channel = channel;
    }

    /** A new, empty, already unlinked file in {@code directory} (created if missing). */
    public static SpillFile create(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path path = Files.createTempFile(directory, ".sluice-data-", ".tmp");
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.deleteIfExists(path); // the open channel keeps the contents until it is closed
        }
        return new SpillFile(ch);
    }

    /** Appends {@code bytes[off, off + len)} after the data written so far. */
    public void append(byte[] bytes, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes, off, len);
        while (buf.hasRemaining()) {
            length += channel.write(buf, length);
        }
    }

    /** The data written: a view with no prefix. */
    public SpilledData finish() {
        return new SpilledData(this, new byte[0], length);
    }

    /** The data's length so far. */
    public long length() {
        return length;
    }

    FileChannel channel() throws IOException {
        if (closed) {
            throw new IOException("the received data was released (its message has been spooled or refused)");
        }
        return channel;
    }

    /** Frees the file's disk space; every view of it fails to read afterwards. Idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to keep: the file has no name
        }
    }

    /** Whether {@link #close} was called (tests). */
    public boolean isClosed() {
        return closed;
    }
}
