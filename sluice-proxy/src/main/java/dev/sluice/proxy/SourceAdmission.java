package dev.sluice.proxy;

/** Whether a BIND source may start one more session under the {@code source_limits}. */
sealed interface SourceAdmission {
    /** Admitted; {@code release} (run once, at the session's end) gives the concurrency slots back. */
    record Admitted(Runnable release) implements SourceAdmission {}

    /**
     * Refused by one limit.
     *
     * @param limit the limit's name, e.g. {@code max_sessions} (a metric label)
     * @param rule the entry and its value, e.g. {@code source_limits['10.0.0.0/24'].max_sessions = 50}
     */
    record Refused(String limit, String rule) implements SourceAdmission {}
}
