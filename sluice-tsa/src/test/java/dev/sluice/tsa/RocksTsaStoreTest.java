package dev.sluice.tsa;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB store: items and threshold windows read back after a reopen, deletes stay deleted. */
class RocksTsaStoreTest {
    @TempDir
    Path dir;

    @Test
    void itemsAndWindowsSurviveAReopen() throws Exception {
        Instant at = Instant.parse("2026-12-06T10:00:00Z");
        var suspension = new TsaItem.ReadyQSuspension("ab", "s->site", "automation rule: x", "src", at);
        var bounce = new TsaItem.SchedQBounce("s-ab", "d.example", null, null, "r", at);
        try (RocksTsaStore store = RocksTsaStore.open(dir)) {
            store.put(suspension);
            store.put(bounce);
            store.delete(bounce.key());
            store.putWindow("ab|site", new TsaStore.Window(60, List.of(1L, 2L)));
            store.putWindow("cd|site", new TsaStore.Window(60, List.of(3L)));
            store.deleteWindow("cd|site");
        }
        try (RocksTsaStore store = RocksTsaStore.open(dir)) {
            assertThat(store.load()).containsExactly(suspension);
            assertThat(store.loadWindows()).isEqualTo(Map.of("ab|site", new TsaStore.Window(60, List.of(1L, 2L))));
        }
    }
}
