package dev.sluice.mta.spool;

import java.io.IOException;

/** Opens the spool kind a {@link SpoolConfig} names. */
public final class Spools {
    private Spools() {}

    public static Spool open(SpoolConfig config, SpoolMetrics metrics) throws IOException {
        return open(config, metrics, Syncer.DIRECT);
    }

    static Spool open(SpoolConfig config, SpoolMetrics metrics, Syncer syncer) throws IOException {
        return switch (config.kind()) {
            case ROCKSDB -> new RocksDbSpool(config, metrics, syncer);
            case LOCAL_DISK -> new LocalDiskSpool(config, metrics, syncer);
        };
    }
}
