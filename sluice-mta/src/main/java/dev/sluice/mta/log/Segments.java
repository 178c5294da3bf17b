package dev.sluice.mta.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a log directory. A segment is named after its opening time in UTC, {@code YYYYMMDD-HHMMSS}, with
 * {@code .N} added when that name is taken (several segments in one second). As KumoMTA does, a finished segment
 * is made read-only: a reader knows that a writable segment may still grow.
 */
public final class Segments {
    private static final DateTimeFormatter NAME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final Pattern SEGMENT = Pattern.compile("(\\d{8}-\\d{6})(?:\\.(\\d{1,9}))?");
    private static final Set<PosixFilePermission> READ_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

    /** Oldest first: by time, then by collision suffix as a number. */
    public static final Comparator<Path> ORDER = Comparator
            .comparing((Path p) -> key(p).base())
            .thenComparingLong(p -> key(p).suffix());

    private record Key(String base, long suffix) {}

    private Segments() {}

    static String baseName(Instant openedAt) {
        return NAME.format(openedAt);
    }

    public static boolean isSegment(Path file) {
        return SEGMENT.matcher(file.getFileName().toString()).matches();
    }

    private static Key key(Path p) {
        Matcher m = SEGMENT.matcher(p.getFileName().toString());
        if (!m.matches()) {
            return new Key(p.getFileName().toString(), -1);
        }
        return new Key(m.group(1), m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
    }

    /** The segments in {@code dir}, oldest first; empty if the directory does not exist. */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Segments::isSegment).filter(Files::isRegularFile).sorted(ORDER).toList();
        }
    }

    /**
     * True once the writer has closed the segment. Read from the permission bits, not from access(2), so that
     * it also holds for root.
     */
    public static boolean isDone(Path segment) throws IOException {
        try {
            return !Files.getPosixFilePermissions(segment).contains(PosixFilePermission.OWNER_WRITE);
        } catch (UnsupportedOperationException e) {
            return !Files.isWritable(segment);
        }
    }

    static void markDone(Path segment) throws IOException {
        try {
            Files.setPosixFilePermissions(segment, READ_ONLY);
        } catch (UnsupportedOperationException e) {
            segment.toFile().setWritable(false, false);
        }
    }
}
