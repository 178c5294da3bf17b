package dev.sluice.mta.ingress.smtp;

import java.util.ArrayList;
import java.util.List;

/**
 * The message data of one DATA command while it arrives: 64 KiB chunks instead of one array that doubles as it
 * grows (which holds up to twice the message, and copies it at each step). {@link #take} builds the one array the
 * message keeps and lets go of each chunk as it is copied, so a message is on the heap about once, not three times.
 */
final class DataChunks {
    static final int CHUNK = 64 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int used; // bytes used in current
    private long size;

    long size() {
        return size;
    }

    void write(int b) {
        if (current == null || used == current.length) {
            next();
        }
        current[used++] = (byte) b;
        size++;
    }

    void write(byte[] bytes, int off, int len) {
        while (len > 0) {
            if (current == null || used == current.length) {
                next();
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
        current = new byte[CHUNK];
        used = 0;
        chunks.add(current);
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
