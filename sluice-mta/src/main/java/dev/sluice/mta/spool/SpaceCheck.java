package dev.sluice.mta.spool;

/**
 * What ingress asks before taking a message: is the spool's disk too full? Implemented by
 * {@link FreeSpaceMonitor}; an interface so listener tests can stand in a fixed answer.
 */
public interface SpaceCheck {
    /** Always room: for tests and tools that do not watch a disk. */
    SpaceCheck ALWAYS_ROOM = new SpaceCheck() {
        @Override
        public boolean belowThreshold() {
            return false;
        }

        @Override
        public String reason() {
            return null;
        }
    };

    /** True while new messages must be refused (ESMTP 452 4.3.1, HTTP 503). */
    boolean belowThreshold();

    /** Why, for the reply text; null while there is room. */
    String reason();
}
