package dev.sluice.mta.spool;

import java.io.IOException;

/** Opens the spool kind a {@link SpoolConfig} names. */
public final class Spools {
    private Spools() {}

    public static Spool open(SpoolConfig config, SpoolMetrics metrics) throws IOException {
        return open(config, metrics, Syncer.DIRECT, SpoolRecovery.STRICT);
    }

    /**
     * @throws SpoolDamagedException when {@code recovery} is {@link SpoolRecovery#STRICT} and opening would lose
     *                               acknowledged messages (RocksDB)
     */
    public static Spool open(SpoolConfig config, SpoolMetrics metrics, SpoolRecovery recovery) throws IOException {
        return open(config, metrics, Syncer.DIRECT, recovery);
    }

    static Spool open(SpoolConfig config, SpoolMetrics metrics, Syncer syncer) throws IOException {
        return open(config, metrics, syncer, SpoolRecovery.STRICT);
    }

    static Spool open(SpoolConfig config, SpoolMetrics metrics, Syncer syncer, SpoolRecovery recovery)
            throws IOException {
        return switch (config.kind()) {
            case ROCKSDB -> new RocksDbSpool(config, metrics, syncer, recovery);
            case LOCAL_DISK -> new LocalDiskSpool(config, metrics, syncer);
        };
    }
}
