package dev.sluice.mta.spool;

/** How a spool opens when its files are damaged. */
public enum SpoolRecovery {
    /** Refuse to open (a {@link SpoolDamagedException}) when acknowledged messages would be lost. */
    STRICT,
    /**
     * The operator's {@code --salvage-spool}: keep every readable message, copy the damaged files into a dated
     * {@code salvage-NAME-TIME} directory next to the spool (never deleted), log what was lost, and run.
     */
    SALVAGE
}
