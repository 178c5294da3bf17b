package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreeSpaceTest {
    @TempDir
    Path dir;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final SpoolMetrics metrics = new SpoolMetrics(registry);

    private static SpoolConfig spool(Path path, String minFree, String minInodes) {
        return new SpoolConfig("data", path, SpoolConfig.Kind.ROCKSDB, true, FreeSpace.parse(minFree),
                FreeSpace.parse(minInodes));
    }

    @Test
    void thresholdAboveTheFreeSpaceRefusesWithAReason() {
        try (var monitor = new FreeSpaceMonitor(List.of(spool(dir, "100%", "0%")), metrics, Duration.ofHours(1))) {
            assertThat(monitor.belowThreshold()).isTrue();
            assertThat(monitor.reason()).startsWith("spool data: ").contains(" free (")
                    .endsWith("below min_free_space 100%");
        }
    }

    @Test
    void absoluteThresholdAboveTheFreeSpaceRefusesToo() throws Exception {
        long free = Files.getFileStore(dir).getUsableSpace();
        try (var monitor = new FreeSpaceMonitor(List.of(spool(dir, String.valueOf(free * 2), "0%")), metrics,
                Duration.ofHours(1))) {
            assertThat(monitor.belowThreshold()).isTrue();
            assertThat(monitor.reason()).contains("below min_free_space " + free * 2);
        }
    }

    @Test
    void inodeThresholdIsCheckedWhereTheFilesystemCountsInodes() {
        var inodes = InodeProbe.probe(dir);
        try (var monitor = new FreeSpaceMonitor(List.of(spool(dir, "0%", "100%")), metrics, Duration.ofHours(1))) {
            if (inodes.isPresent()) {
                assertThat(monitor.reason()).contains("inodes free").endsWith("below min_free_inodes 100%");
            } else {
                assertThat(monitor.belowThreshold()).isFalse(); // not countable here: logged, not enforced
            }
        }
    }

    @Test
    void enoughRoomAcceptsAndPublishesTheFreeSpace() {
        Path notYetCreated = dir.resolve("a/b/spool"); // checked on the nearest existing parent
        try (var monitor = new FreeSpaceMonitor(List.of(spool(notYetCreated, "0%", "0%")), metrics,
                Duration.ofHours(1))) {
            assertThat(monitor.belowThreshold()).isFalse();
            assertThat(monitor.reason()).isNull();
        }
        GaugeSnapshot bytes = (GaugeSnapshot) registry.scrape(n -> n.equals("disk_free_bytes")).get(0);
        assertThat(bytes.getDataPoints().getFirst().getLabels().get("name")).isEqualTo("data");
        assertThat(bytes.getDataPoints().getFirst().getValue()).isPositive();
        GaugeSnapshot percent = (GaugeSnapshot) registry.scrape(n -> n.equals("disk_free_percent")).get(0);
        assertThat(percent.getDataPoints().getFirst().getValue()).isBetween(0.0, 100.0);
    }

    @Test
    void thresholdsParseLikeKumoMta() {
        assertThat(FreeSpace.parse("10%")).isEqualTo(new FreeSpace.Percent(10));
        assertThat(FreeSpace.parse("1 GB")).isEqualTo(new FreeSpace.Absolute(1_000_000_000L));
        assertThat(FreeSpace.parse("2GiB")).isEqualTo(new FreeSpace.Absolute(2L << 30));
        assertThat(FreeSpace.parse("512 mb")).isEqualTo(new FreeSpace.Absolute(512_000_000L));
        assertThat(FreeSpace.parse(12345L)).isEqualTo(new FreeSpace.Absolute(12345));
        assertThat(FreeSpace.parse("12345")).isEqualTo(new FreeSpace.Absolute(12345));
        assertThat(new FreeSpace.Percent(10).isBelow(9, 100)).isTrue();
        assertThat(new FreeSpace.Percent(10).isBelow(10, 100)).isFalse();
        assertThatThrownBy(() -> FreeSpace.parse("10 parsecs")).hasMessageContaining("unknown size unit 'parsecs'");
        assertThatThrownBy(() -> FreeSpace.parse("150%")).hasMessageContaining("0..100");
        assertThatThrownBy(() -> FreeSpace.parse(true)).hasMessageContaining("\"10%\"");
    }
}
