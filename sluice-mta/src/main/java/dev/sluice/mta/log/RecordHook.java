package dev.sluice.mta.log;

/**
 * A {@code configure_log_hook} hook as {@link LogWriters} sees it: its config, and where each record goes (with
 * the hook's own meta and headers selection already applied).
 */
public interface RecordHook {
    LogHookConfig config();

    /** Takes one record; blocks while the hook's queue is full ({@code back_pressure}). */
    void offer(LogRecord record) throws InterruptedException;

    /**
     * Meta key that marks a message made by a hook (its value is the hook's name): records about that message are
     * never offered to the same hook again, so a hook cannot feed on its own deliveries.
     */
    String META_HOOK = "sluice_log_hook";
}
