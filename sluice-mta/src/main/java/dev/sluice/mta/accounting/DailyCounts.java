package dev.sluice.mta.accounting;

/** One UTC day's counts. */
public record DailyCounts(long received, long delivered) {
    public static final DailyCounts ZERO = new DailyCounts(0, 0);

    public long get(AccountingKind kind) {
        return switch (kind) {
            case RECEIVED -> received;
            case DELIVERED -> delivered;
        };
    }
}
