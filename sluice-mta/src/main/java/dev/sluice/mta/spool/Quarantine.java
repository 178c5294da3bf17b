package dev.sluice.mta.spool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The spool's list of quarantined messages: entries that could not be read (a block checksum mismatch in an
 * SST or blob file) and so are not delivered, one JSON object per line in {@value #FILE} in the spool
 * directory. The spool logs each at ERROR when it quarantines it; {@code sluice spool quarantine --spool DIR}
 * lists them. The damaged files are kept in {@link Entry#keptIn()}, never deleted.
 */
public final class Quarantine {
    public static final String FILE = "quarantine.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Quarantine() {}

    /**
     * One quarantined message.
     *
     * @param id        the spool id (hex, as in the logs)
     * @param at        when it was quarantined (ISO-8601)
     * @param reason    what could not be read and RocksDB's error
     * @param sender    envelope sender when the meta was readable, else null
     * @param recipient envelope recipient when the meta was readable, else null
     * @param keptIn    the directory holding the damaged files it was read from
     */
    public record Entry(String id, String at, String reason, String sender, String recipient, String keptIn) {}

    /** The entries listed in {@code spoolDir}, oldest first; none when there is no list. */
    public static List<Entry> read(Path spoolDir) throws IOException {
        Path file = spoolDir.resolve(FILE);
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JSON.readValue(line, Entry.class));
            }
        }
        return out;
    }

    /** Appends entries to the list in {@code spoolDir} and syncs it. */
    static void append(Path spoolDir, List<Entry> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Entry e : entries) {
            text.append(JSON.writeValueAsString(e)).append('\n');
        }
        try (FileChannel ch = FileChannel.open(spoolDir.resolve(FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
    }
}
