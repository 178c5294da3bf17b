package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin entries on disk: one JSON file beside the spool ({@code <spool>.admin.json}), replaced whole on each
 * change (written to a temporary file, fsynced, renamed over the old one, directory fsynced), so that a crash
 * leaves the old or the new list, never half of one. Entries that expired while the MTA was down are dropped at
 * load. A file that cannot be read is moved aside ({@code .damaged}) with a warning, not silently overwritten.
 */
public final class AdminStore {
    private static final Logger LOG = LoggerFactory.getLogger(AdminStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public AdminStore(Path file) {
        this.file = file;
    }

    /** The store beside a spool directory: {@code /x/spool} → {@code /x/spool.admin.json}. */
    public static AdminStore besideSpool(Path spool) {
        Path abs = spool.toAbsolutePath();
        return new AdminStore(abs.resolveSibling(abs.getFileName() + ".admin.json"));
    }

    public Path file() {
        return file;
    }

    /** The entries not yet expired at {@code now}. */
    public List<AdminEntry> load(Instant now) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<AdminEntry> out = new ArrayList<>();
        try {
            JsonNode root = JSON.readTree(file.toFile());
            for (JsonNode n : root.path("bounces")) {
                out.add(entry(AdminControl.Kind.BOUNCE, n));
            }
            for (JsonNode n : root.path("suspensions")) {
                out.add(entry(AdminControl.Kind.SUSPEND, n));
            }
            for (JsonNode n : root.path("ready_suspensions")) {
                out.add(entry(AdminControl.Kind.SUSPEND_READY_Q, n));
            }
        } catch (IOException | RuntimeException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".damaged");
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            LOG.warn("admin entries in {} cannot be read ({}); moved to {}, starting with none", file,
                    e.getMessage(), aside);
            return List.of();
        }
        out.removeIf(e -> !e.expires().isAfter(now));
        return out;
    }

    /** Replaces the file with {@code entries}, durably. */
    public void save(List<AdminEntry> entries) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode bounces = root.putArray("bounces");
        ArrayNode suspensions = root.putArray("suspensions");
        ArrayNode ready = root.putArray("ready_suspensions");
        for (AdminEntry e : entries) {
            write(switch (e) {
                case AdminEntry.Bounce b -> bounces.addObject();
                case AdminEntry.Suspension s -> suspensions.addObject();
                case AdminEntry.ReadySuspension r -> ready.addObject();
            }, e);
        }
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }

    /** Writes {@code e}'s fields (not its kind) into {@code n}, as the file keeps them; also what a fleet shares. */
    static ObjectNode write(ObjectNode n, AdminEntry e) {
        common(n, e);
        switch (e) {
            case AdminEntry.Bounce b -> {
                criteria(n, b.criteria());
                n.put("suppress_logging", b.suppressLogging());
                ObjectNode counts = n.putObject("bounced");
                b.bounced().forEach(counts::put);
            }
            case AdminEntry.Suspension s -> criteria(n, s.criteria());
            case AdminEntry.ReadySuspension r -> n.put("name", r.name());
        }
        return n;
    }

    /** The entry of {@code kind} that {@link #write} wrote into {@code n}. */
    static AdminEntry entry(AdminControl.Kind kind, JsonNode n) {
        UUID id = UUID.fromString(n.path("id").asText());
        String reason = n.path("reason").asText();
        return switch (kind) {
            case BOUNCE -> {
                var b = new AdminEntry.Bounce(id, criteria(n), reason, n.path("suppress_logging").asBoolean(false),
                        expires(n));
                for (Map.Entry<String, JsonNode> c : n.path("bounced").properties()) {
                    b.counts().put(c.getKey(), new AtomicLong(c.getValue().asLong()));
                }
                yield b;
            }
            case SUSPEND -> new AdminEntry.Suspension(id, criteria(n), reason, expires(n));
            case SUSPEND_READY_Q -> new AdminEntry.ReadySuspension(id, n.path("name").asText(), reason, expires(n));
        };
    }

    private static ObjectNode common(ObjectNode n, AdminEntry e) {
        n.put("id", e.id().toString());
        n.put("reason", e.reason());
        n.put("expires", e.expires().toString());
        return n;
    }

    private static void criteria(ObjectNode n, AdminCriteria c) {
        n.put("campaign", c.campaign());
        n.put("tenant", c.tenant());
        n.put("domain", c.domain());
        n.put("routing_domain", c.routingDomain());
        ArrayNode names = n.putArray("queue_names");
        c.queueNames().forEach(names::add);
    }

    private static AdminCriteria criteria(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.path("queue_names").forEach(x -> names.add(x.asText()));
        return new AdminCriteria(text(n, "campaign"), text(n, "tenant"), text(n, "domain"),
                text(n, "routing_domain"), names);
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant expires(JsonNode n) {
        return Instant.parse(n.path("expires").asText());
    }
}
