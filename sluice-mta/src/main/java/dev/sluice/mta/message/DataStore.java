package dev.sluice.mta.message;

import java.io.IOException;

/** Where a shrunk message's data and meta live (the spool): read back for a delivery attempt or a policy that asks. */
public interface DataStore {
    /**
     * The data of {@code id}.
     *
     * @throws IOException when it cannot be read, or the message is no longer stored
     */
    byte[] readData(MessageId id) throws IOException;

    /**
     * The meta map of {@code id} as JSON ({@link MetaJson}), as last stored.
     *
     * @throws IOException when it cannot be read, or the message is no longer stored
     */
    byte[] readMeta(MessageId id) throws IOException;
}
