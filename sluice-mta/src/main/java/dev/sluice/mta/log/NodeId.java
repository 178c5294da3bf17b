package dev.sluice.mta.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * The {@code nodeid} of the log records: a UUID that identifies this node independently of its addresses. Kept in
 * a file (e.g. next to the spool) so that it survives restarts, as KumoMTA's does.
 */
public final class NodeId {
    private NodeId() {}

    /** Reads the UUID from {@code file}, or creates the file with a new random one. */
    public static UUID loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            try {
                return UUID.fromString(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": not a node id (UUID): '" + text + "'", e);
            }
        }
        UUID id = UUID.randomUUID();
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".nodeid", ".tmp");
        Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return id;
    }
}
