package dev.sluice.mta.spool;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * One {@code kumo.define_spool{...}}.
 *
 * @param name          {@code data} or {@code meta} in KumoMTA; the name in metrics and free-space reasons
 * @param path          the spool directory (created when missing)
 * @param kind          storage engine; Sluice defaults to RocksDB (KumoMTA to LocalDisk)
 * @param flush         fsync before acknowledging (survives power loss), not only write to the OS
 * @param minFreeSpace  below this much free space on the spool's filesystem, ingress answers 452 / 503
 * @param minFreeInodes same for free inodes
 */
public record SpoolConfig(String name, Path path, Kind kind, boolean flush, FreeSpace minFreeSpace,
                          FreeSpace minFreeInodes) {

    public static final FreeSpace DEFAULT_MIN_FREE = new FreeSpace.Percent(10);

    public SpoolConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(minFreeSpace, "minFreeSpace");
        Objects.requireNonNull(minFreeInodes, "minFreeInodes");
    }

    /** Sluice's default: RocksDB with the 10% thresholds KumoMTA uses. */
    public static SpoolConfig of(String name, Path path, Kind kind, boolean flush) {
        return new SpoolConfig(name, path, kind, flush, DEFAULT_MIN_FREE, DEFAULT_MIN_FREE);
    }

    public enum Kind {
        ROCKSDB("RocksDB"),
        LOCAL_DISK("LocalDisk");

        private final String luaName;

        Kind(String luaName) {
            this.luaName = luaName;
        }

        /** The spelling KumoMTA policies use ({@code kind = 'RocksDB'}). */
        public String luaName() {
            return luaName;
        }

        public static Kind fromLua(String value) {
            for (Kind k : values()) {
                if (k.luaName.equals(value)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown spool kind '" + value + "', expected one of "
                    + Arrays.stream(values()).map(Kind::luaName).toList());
        }
    }
}
