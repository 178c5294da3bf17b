package dev.sluice.tsa;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TSA's items in an embedded RocksDB under the {@code --state} directory: key = {@link TsaItem#key()}, value =
 * the item's tagged JSON; threshold windows under {@code window/SCOPE} as {@code {"period": s, "times": [...]}}. Writes
 * are synced: an acknowledged publish that created a suspension survives a crash.
 */
public final class RocksTsaStore implements TsaStore {
    static {
        RocksDB.loadLibrary();
    }

    private static final Logger log = LoggerFactory.getLogger(RocksTsaStore.class);

    private static final String WINDOW = "window/";

    private final Path path;
    private final Options options;
    private final WriteOptions write = new WriteOptions().setSync(true);
    private final RocksDB db;
    private boolean closed;

    private RocksTsaStore(Path path, Options options, RocksDB db) {
        this.path = path;
        this.options = options;
        this.db = db;
    }

    /** Opens (creating) the store in {@code dir}; a second daemon on the same directory fails here (RocksDB's lock). */
    public static RocksTsaStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new RocksTsaStore(dir, options, RocksDB.open(options, dir.toString()));
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open the tsa state at " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized List<TsaItem> load() {
        List<TsaItem> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                if (new String(it.key(), StandardCharsets.UTF_8).startsWith(WINDOW)) continue;
                String json = new String(it.value(), StandardCharsets.UTF_8);
                try {
                    out.add(TsaItem.parse(json));
                } catch (IllegalArgumentException e) {
                    log.warn("{}: skipping unreadable entry {}: {}", path,
                            new String(it.key(), StandardCharsets.UTF_8), e.getMessage());
                }
            }
        }
        return out;
    }

    @Override
    public synchronized Map<String, Window> loadWindows() {
        Map<String, Window> out = new LinkedHashMap<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(bytes(WINDOW)); it.isValid(); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                if (!key.startsWith(WINDOW)) break;
                try {
                    JsonNode w = TsaItem.JSON.readTree(it.value());
                    List<Long> times = new ArrayList<>();
                    w.path("times").forEach(t -> times.add(t.asLong()));
                    out.put(key.substring(WINDOW.length()), new Window(w.path("period").asLong(), times));
                } catch (IOException e) {
                    log.warn("{}: skipping unreadable window {}: {}", path, key, e.getMessage());
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void putWindow(String scope, Window window) {
        ObjectNode w = TsaItem.JSON.createObjectNode().put("period", window.periodSeconds());
        window.times().forEach(w.putArray("times")::add);
        write(WINDOW + scope, w.toString());
    }

    @Override
    public synchronized void deleteWindow(String scope) {
        delete(WINDOW + scope);
    }

    @Override
    public synchronized void put(TsaItem item) {
        write(item.key(), item.tagged());
    }

    private void write(String key, String value) {
        if (closed) return;
        try {
            db.put(write, bytes(key), bytes(value));
        } catch (RocksDBException e) {
            throw new IllegalStateException("tsa state write failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String key) {
        if (closed) return;
        try {
            db.delete(write, bytes(key));
        } catch (RocksDBException e) {
            throw new IllegalStateException("tsa state delete failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        db.close();
        write.close();
        options.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
