package dev.sluice.mta.spool;

import dev.sluice.policy.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spools the policy defined with {@code kumo.define_spool}. KumoMTA keeps bodies in a spool named
 * {@code data} and envelopes + meta in one named {@code meta}; Sluice keeps both in one store (one atomic
 * write per message, one sync per group commit), so {@link #store()} maps the definitions to one config:
 * <ul>
 *   <li>the {@code data} spool's name, path and kind win (the {@code meta} spool's only when there is no
 *       {@code data} spool); a {@code meta} spool at another path or of another kind is noted in the log;</li>
 *   <li>{@code flush} is true when either asks for it (never weaker than the policy wanted);</li>
 *   <li>free space is checked for every defined spool's filesystem ({@link #all()}).</li>
 * </ul>
 * Thread-safe: {@code define_spool} may run in any Lua state.
 */
public final class SpoolDefinitions {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolDefinitions.class);
    public static final String DATA = "data";
    public static final String META = "meta";

    private final Map<String, SpoolConfig> byName = new LinkedHashMap<>();

    /** @throws ConfigException when a spool of that name is already defined */
    public synchronized void define(SpoolConfig config) {
        if (byName.containsKey(config.name())) {
            throw new ConfigException("define_spool: spool '" + config.name() + "' is already defined");
        }
        if (!config.name().equals(DATA) && !config.name().equals(META)) {
            LOG.warn("define_spool: spool '{}' is not used; KumoMTA and Sluice use only 'data' and 'meta'",
                    config.name());
        }
        byName.put(config.name(), config);
    }

    /** Every definition, in the order the policy made them. */
    public synchronized List<SpoolConfig> all() {
        return List.copyOf(byName.values());
    }

    /** The one store Sluice opens for 'data' and 'meta'; empty when the policy defined neither. */
    public synchronized Optional<SpoolConfig> store() {
        SpoolConfig data = byName.get(DATA);
        SpoolConfig meta = byName.get(META);
        if (data == null && meta == null) {
            return Optional.empty();
        }
        if (data == null || meta == null) {
            return Optional.of(data != null ? data : meta);
        }
        if (!meta.path().equals(data.path()) || meta.kind() != data.kind()) {
            LOG.info("define_spool: Sluice keeps meta together with data in one {} store at {}; the meta spool's "
                    + "path {} ({}) holds nothing", data.kind().luaName(), data.path(), meta.path(),
                    meta.kind().luaName());
        }
        return Optional.of(new SpoolConfig(data.name(), data.path(), data.kind(), data.flush() || meta.flush(),
                data.minFreeSpace(), data.minFreeInodes()));
    }

    /** What the MTA uses without a define_spool: RocksDB in {@code dir} with {@code flush = true}. */
    public static SpoolConfig defaultStore(Path dir) {
        return SpoolConfig.of(DATA, dir, SpoolConfig.Kind.ROCKSDB, true);
    }

    /** Free-space checks for what {@link #store()} opens plus every other defined spool ({@code dir} as default). */
    public synchronized List<SpoolConfig> monitored(Path defaultDir) {
        List<SpoolConfig> out = new ArrayList<>(byName.values());
        if (out.isEmpty()) {
            out.add(defaultStore(defaultDir));
        }
        return out;
    }
}
