package dev.sluice.mta.spool;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code kumo.define_spool{name, path, kind = 'RocksDB' | 'LocalDisk', flush, min_free_space,
 * min_free_inodes, rocks_params}} into {@link SpoolDefinitions}. Defaults as KumoMTA's except {@code kind},
 * which is RocksDB in Sluice. {@code rocks_params} is accepted and logged as ignored.
 */
public final class SpoolLuaModule implements LuaModule {
    static final ConfigSchema DEFINE_SPOOL = ConfigSchema.of("define_spool",
            Set.of("name", "path", "kind", "flush", "min_free_space", "min_free_inodes"),
            Set.of("rocks_params"));

    private final SpoolDefinitions definitions;

    public SpoolLuaModule(SpoolDefinitions definitions) {
        this.definitions = definitions;
    }

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("define_spool", args -> {
            definitions.define(parse(args.isEmpty() ? null : args.getFirst()));
            return null;
        });
    }

    static SpoolConfig parse(Object luaTable) {
        ConfigTable t = ConfigTable.of(DEFINE_SPOOL, luaTable);
        String name = t.requireString("name");
        String path = t.requireString("path");
        SpoolConfig.Kind kind;
        try {
            kind = SpoolConfig.Kind.fromLua(t.string("kind", SpoolConfig.Kind.ROCKSDB.luaName()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("define_spool: key 'kind': " + e.getMessage());
        }
        return new SpoolConfig(name, Path.of(path), kind, t.bool("flush", false),
                threshold(t, "min_free_space"), threshold(t, "min_free_inodes"));
    }

    private static FreeSpace threshold(ConfigTable t, String key) {
        Object v = t.raw(key);
        if (v == null) {
            return SpoolConfig.DEFAULT_MIN_FREE;
        }
        try {
            return FreeSpace.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("define_spool: key '" + key + "': " + e.getMessage());
        }
    }
}
