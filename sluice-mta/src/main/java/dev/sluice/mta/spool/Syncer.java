package dev.sluice.mta.spool;

/**
 * The seam around the step that makes a group commit durable (RocksDB: the WAL write with its sync;
 * LocalDisk: writing, fsyncing and renaming the files). Production runs the step directly; a test can hold
 * it back to prove that no store completes, hence no 250 is sent, before the step has finished.
 */
@FunctionalInterface
interface Syncer {
    Syncer DIRECT = DurableStep::run;

    void commit(DurableStep step) throws Exception;

    @FunctionalInterface
    interface DurableStep {
        void run() throws Exception;
    }
}
