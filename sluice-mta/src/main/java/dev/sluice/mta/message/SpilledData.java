package dev.sluice.mta.message;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The data of a message received into a {@link SpillFile}: a prefix on the heap (the Received header ingress adds)
 * followed by the file's bytes. Views are immutable and cheap; the recipients of one reception share one.
 *
 * <p>Nothing here copies the data onto the heap except {@link #read()}, which a policy pays for when it asks for
 * the whole data ({@code msg:get_data()}, header edits, DKIM signing). The spool takes the data with
 * {@link #copyTo} into a direct buffer (RocksDB) or {@link #transferTo} (the local-disk spool).
 */
public final class SpilledData {
    private static final int DIGEST_BUFFER = 64 * 1024;

    private final SpillFile file;
    private final byte[] prefix;
    private final long offset; // where this view's part of the file starts
    private final long bodyLength;

    SpilledData(SpillFile file, byte[] prefix, long bodyLength) {
        this(file, prefix, 0, bodyLength);
    }

    private SpilledData(SpillFile file, byte[] prefix, long offset, long bodyLength) {
        this.file = Objects.requireNonNull(file, "file");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.offset = offset;
        this.bodyLength = bodyLength;
    }

    /** The same data with {@code bytes} in front (of this view's own prefix). */
    public SpilledData withPrefix(byte[] bytes) {
        byte[] p = new byte[bytes.length + prefix.length];
        System.arraycopy(bytes, 0, p, 0, bytes.length);
        System.arraycopy(prefix, 0, p, bytes.length, prefix.length);
        return new SpilledData(file, p, offset, bodyLength);
    }

    /**
     * The first {@code max} bytes (all of them when there are fewer): what the policy's header methods read, so that
     * a header lookup or edit does not bring the whole message onto the heap.
     */
    public byte[] head(int max) throws IOException {
        int n = (int) Math.min(max, size());
        byte[] out = new byte[n];
        int fromPrefix = Math.min(n, prefix.length);
        System.arraycopy(prefix, 0, out, 0, fromPrefix);
        fill(ByteBuffer.wrap(out, fromPrefix, n - fromPrefix), offset);
        return out;
    }

    /** The bytes from {@code from} on, as a stream that reads the file as it is read (nothing is read ahead). */
    public java.io.InputStream stream(long from) {
        return new java.io.InputStream() {
            private long at = from;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (at >= size()) {
                    return -1;
                }
                int n = (int) Math.min(len, size() - at);
                if (at < prefix.length) {
                    n = Math.min(n, prefix.length - (int) at);
                    System.arraycopy(prefix, (int) at, b, off, n);
                } else {
                    fill(ByteBuffer.wrap(b, off, n), offset + at - prefix.length);
                }
                at += n;
                return n;
            }
        };
    }

    /** The data with its first {@code length} bytes replaced by {@code head} (edited headers), the rest in the file. */
    public SpilledData replaceHead(int length, byte[] head) {
        if (length < 0 || length > size()) {
            throw new IllegalArgumentException("the replaced head must lie within the data");
        }
        if (length <= prefix.length) { // within the prefix: the rest of it stays
            byte[] p = new byte[head.length + prefix.length - length];
            System.arraycopy(head, 0, p, 0, head.length);
            System.arraycopy(prefix, length, p, head.length, prefix.length - length);
            return new SpilledData(file, p, offset, bodyLength);
        }
        long skip = length - prefix.length;
        return new SpilledData(file, head.clone(), offset + skip, bodyLength - skip);
    }

    /** The file this view reads (closed by whoever received the data, once it is spooled or refused). */
    public SpillFile file() {
        return file;
    }

    public long size() {
        return prefix.length + bodyLength;
    }

    /** The whole data on the heap (a copy: the caller holds it as long as it needs it). */
    public byte[] read() throws IOException {
        byte[] out = new byte[Math.toIntExact(size())];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        fill(ByteBuffer.wrap(out, prefix.length, (int) bodyLength), offset);
        return out;
    }

    /** {@link Message}'s digest of these bytes (SHA-256's first 8 bytes, never 0), read in 64 KiB steps. */
    public long digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(prefix);
            ByteBuffer buf = ByteBuffer.allocate(DIGEST_BUFFER);
            long at = offset;
            long end = at + bodyLength;
            while (at < end) {
                buf.clear().limit((int) Math.min(buf.capacity(), end - at));
                at = fill(buf, at);
                sha.update(buf.array(), 0, buf.position());
            }
            return Message.fold(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the received data: " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Copies the whole data into {@code out} (a direct buffer of the spool's writer, which hands it to RocksDB)
     * from its position on; {@code out} must have {@link #size()} bytes remaining.
     */
    public void copyTo(ByteBuffer out) throws IOException {
        out.put(prefix);
        int limit = out.limit();
        out.limit(out.position() + (int) bodyLength);
        try {
            fill(out, offset);
        } finally {
            out.limit(limit);
        }
    }

    /** Reads the file from {@code at} until {@code buf} is full; returns the position after what was read. */
    private long fill(ByteBuffer buf, long at) throws IOException {
        FileChannel ch = file.channel();
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new IOException("the received data is shorter than written");
            }
            at += n;
        }
        return at;
    }

    /** Writes the whole data to {@code out} (the kernel copies the file's part). */
    public void transferTo(WritableByteChannel out) throws IOException {
        ByteBuffer p = ByteBuffer.wrap(prefix);
        while (p.hasRemaining()) {
            out.write(p);
        }
        FileChannel ch = file.channel();
        long at = offset;
        long end = at + bodyLength;
        while (at < end) {
            long n = ch.transferTo(at, end - at, out);
            if (n <= 0) {
                throw new IOException("the received data is shorter than written");
            }
            at += n;
        }
    }
}
