package dev.sluice.mta.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Free and total inodes of a filesystem. Java has no statvfs, so this asks coreutils
 * ({@code stat -f -c '%d %c' PATH}: free, total file nodes) — rarely, from the monitor's thread.
 */
final class InodeProbe {
    record Inodes(long free, long total) {}

    private InodeProbe() {}

    /** Empty when stat fails or the filesystem does not count inodes (btrfs reports 0 total). */
    static java.util.Optional<Inodes> probe(Path path) {
        Process p = null;
        try {
            p = new ProcessBuilder("stat", "-f", "-c", "%d %c", path.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return java.util.Optional.empty();
            }
            String[] parts = out.split("\\s+");
            OptionalLong free = number(parts, 0);
            OptionalLong total = number(parts, 1);
            if (free.isEmpty() || total.isEmpty() || total.getAsLong() <= 0) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new Inodes(free.getAsLong(), total.getAsLong()));
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        } finally {
            if (p != null) {
                p.destroy();
            }
        }
    }

    private static OptionalLong number(String[] parts, int i) {
        try {
            return i < parts.length ? OptionalLong.of(Long.parseLong(parts[i])) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
