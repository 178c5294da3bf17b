package dev.sluice.mta.spool;

import java.io.IOException;

/**
 * The spool cannot be opened without losing acknowledged messages (a damaged write-ahead log, or one that
 * recovered fewer writes than were committed). Nothing was changed; {@code sluice mta --salvage-spool}
 * ({@link SpoolRecovery#SALVAGE}) keeps every readable message and moves the damaged files aside.
 */
public final class SpoolDamagedException extends IOException {
    public SpoolDamagedException(String message) {
        super(message);
    }

    public SpoolDamagedException(String message, Throwable cause) {
        super(message, cause);
    }
}
