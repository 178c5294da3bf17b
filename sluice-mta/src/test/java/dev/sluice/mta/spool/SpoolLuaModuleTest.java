package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolLuaModuleTest {
    @TempDir
    Path dir;

    private SpoolDefinitions runInit(String... lines) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "kumo.on('init', function()\n" + String.join("\n", lines) + "\nend)\n");
        SpoolDefinitions defs = new SpoolDefinitions();
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(new SpoolLuaModule(defs)), null))) {
            policy.runOnce("init");
        }
        return defs;
    }

    @Test
    void dataAndMetaSpoolsMapToOneStore() throws Exception {
        SpoolDefinitions defs = runInit(
                "kumo.define_spool{name = 'data', path = '/var/spool/sluice/data', kind = 'LocalDisk',",
                "  min_free_space = '2 GB', min_free_inodes = 1000}",
                "kumo.define_spool{name = 'meta', path = '/var/spool/sluice/meta', kind = 'RocksDB', flush = true,",
                "  rocks_params = {max_open_files = 100}}");
        assertThat(defs.all()).extracting(SpoolConfig::name).containsExactly("data", "meta");
        SpoolConfig meta = defs.all().get(1);
        assertThat(meta.kind()).isEqualTo(SpoolConfig.Kind.ROCKSDB);
        assertThat(meta.minFreeSpace()).isEqualTo(new FreeSpace.Percent(10));
        SpoolConfig store = defs.store().orElseThrow();
        assertThat(store).isEqualTo(new SpoolConfig("data", Path.of("/var/spool/sluice/data"),
                SpoolConfig.Kind.LOCAL_DISK, true, new FreeSpace.Absolute(2_000_000_000L),
                new FreeSpace.Absolute(1000)));
        assertThat(IgnoredKeys.list()).contains(new IgnoredKeys.IgnoredKey("define_spool", "rocks_params"));
    }

    @Test
    void sluiceDefaultsToRocksDbWithoutFlush() throws Exception {
        SpoolDefinitions defs = runInit("kumo.define_spool{name = 'data', path = 'spool'}");
        assertThat(defs.store()).contains(SpoolConfig.of("data", Path.of("spool"), SpoolConfig.Kind.ROCKSDB, false));
        assertThat(new SpoolDefinitions().store()).isEmpty();
    }

    @Test
    void mistakesAreReportedAtTheirLine() {
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data', path = 'x', kind = 'Rocks'}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:2:")
                .hasMessageContaining("unknown spool kind 'Rocks'");
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data'}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("missing required key 'path'");
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data', path = 'x', flush = 'yes'}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("'flush' must be a boolean");
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data', path = 'x', min_free_space = '5 XB'}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("min_free_space");
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data', path = 'x', sync = true}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("unknown key 'sync'");
        assertThatThrownBy(() -> runInit("kumo.define_spool{name = 'data', path = 'x'}",
                "kumo.define_spool{name = 'data', path = 'y'}"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:3:")
                .hasMessageContaining("already defined");
    }
}
