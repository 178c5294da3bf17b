package dev.sluice.mta.log;

import dev.sluice.mta.message.Message;

/**
 * A {@code configure_log_disposition_hook} hook as {@link LogWriters} sees it: its config, and where each record
 * about a message goes together with that message.
 */
public interface DispositionHook {
    LogDispositionHookConfig config();

    /**
     * Takes one record and a copy of its message as it was when the record was made (the caller never changes
     * the copy); blocks while the hook is {@link LogConfig#DEFAULT_BACK_PRESSURE} records behind.
     */
    void offer(LogRecord record, Message message) throws InterruptedException;
}
