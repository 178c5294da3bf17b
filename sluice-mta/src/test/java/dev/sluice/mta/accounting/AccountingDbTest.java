package dev.sluice.mta.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountingDbTest {
    @TempDir
    Path dir;

    @Test
    void countsPerUtcDayAndKindAndKeepsThemAfterReopening() throws Exception {
        try (AccountingDb db = AccountingDb.open(dir.resolve("acct"))) {
            db.record(AccountingKind.RECEIVED, Instant.parse("2026-11-22T23:59:59Z"));
            db.record(AccountingKind.RECEIVED, Instant.parse("2026-11-23T00:00:00Z"));
            db.record(AccountingKind.RECEIVED, Instant.parse("2026-11-23T12:00:00Z"));
            db.record(AccountingKind.DELIVERED, Instant.parse("2026-11-23T12:00:01Z"));
        }
        try (AccountingDb db = AccountingDb.open(dir.resolve("acct"))) {
            assertThat(db.counts(LocalDate.parse("2026-11-22"))).isEqualTo(new DailyCounts(1, 0));
            assertThat(db.counts(LocalDate.parse("2026-11-23"))).isEqualTo(new DailyCounts(2, 1));
            assertThat(db.counts(LocalDate.parse("2026-11-24"))).isEqualTo(DailyCounts.ZERO);
            assertThat(db.all().keySet()).containsExactly(LocalDate.parse("2026-11-22"), LocalDate.parse("2026-11-23"));
            assertThat(AccountingRoutes.render(db)).isEqualTo(
                    "{\"2026-11-22\":{\"received\":1,\"delivered\":0},\"2026-11-23\":{\"received\":2,\"delivered\":1}}");
        }
    }
}
