package dev.sluice.mta.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The RocksDB spool's record of its last acknowledging commit, kept beside the write-ahead log in file
 * {@value #FILE}: RocksDB's sequence number after that commit and how many messages the spool then held.
 * At open, a recovered sequence number below the recorded one means the log lost committed writes that its
 * checksums cannot show (a truncated log file). The record is rewritten in place (one 28-byte positional
 * write, no sync) after every commit that stored or updated a message, so it is never ahead of the log:
 * with {@code flush = true} the log is synced before the record is written; with {@code flush = false}
 * neither is, and a record that outlives its log after a power cut reports a real loss.
 */
final class CommitMark implements AutoCloseable {
    static final String FILE = "SLUICE-COMMITTED";
    private static final long MAGIC = 0x534c5543_4d41524bL; // "SLUCMARK"
    private static final int SIZE = 8 + 8 + 8 + 4;

    /** What the last acknowledging commit left: RocksDB's sequence number and the messages then spooled. */
    record Mark(long sequence, long messages) {}

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(SIZE);

    private CommitMark(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens (creating) the record in {@code spoolDir} for writing. */
    static CommitMark open(Path spoolDir) throws IOException {
        return new CommitMark(FileChannel.open(spoolDir.resolve(FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE));
    }

    /**
     * The record in {@code spoolDir}; empty when there is none (a spool written before Sluice kept it) or it is
     * unreadable (then the check is skipped: the record is a detector, not the data).
     */
    static Optional<Mark> read(Path spoolDir) throws IOException {
        byte[] b;
        try {
            b = Files.readAllBytes(spoolDir.resolve(FILE));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (b.length < SIZE) {
            return Optional.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        long magic = in.getLong();
        long sequence = in.getLong();
        long messages = in.getLong();
        int crc = in.getInt();
        if (magic != MAGIC || crc != crc(b)) {
            return Optional.empty();
        }
        return Optional.of(new Mark(sequence, messages));
    }

    void write(long sequence, long messages) throws IOException {
        buffer.clear();
        buffer.putLong(MAGIC).putLong(sequence).putLong(messages);
        buffer.putInt(crc(buffer.array()));
        buffer.flip();
        long at = 0;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }

    private static int crc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, SIZE - 4);
        return (int) crc.getValue();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
