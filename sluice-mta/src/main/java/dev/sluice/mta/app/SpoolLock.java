package dev.sluice.mta.app;

import dev.sluice.net.StartFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The MTA's hold on its spool: a lock on {@code <spool>.pid} next to the spool directory, holding this process's
 * id. A second {@code sluice mta} on the same spool fails at once with
 * {@code ./data/spool is locked by another sluice mta (pid N)} instead of the store's own lock error. The
 * operating system drops the lock when the process ends, however it ends; the file stays.
 */
final class SpoolLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private SpoolLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock file of the spool at {@code spool}. */
    static Path file(Path spool) {
        Path abs = spool.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".pid");
    }

    /** Takes the lock and writes this process's id into the file, or fails naming the holder. */
    static SpoolLock acquire(Path spool) throws IOException {
        Path file = file(spool);
        Files.createDirectories(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException sameProcess) {
            ch.close();
            throw new StartFailure(spool + " is already open in this process");
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(ch);
            ch.close();
            throw new StartFailure(spool + " is locked by another sluice mta" + (holder.isEmpty() ? "" : " (pid " + holder + ")"));
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
        } catch (IOException e) {
            lock.release();
            ch.close();
            throw e;
        }
        return new SpoolLock(ch, lock);
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32);
            ch.read(buf, 0);
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
            return text.matches("\\d+") ? text : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
