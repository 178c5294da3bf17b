package dev.sluice.mta.message;

import java.io.IOException;

/** Where a shrunk message's data lives (the spool): read back for a delivery attempt or a policy that asks. */
@FunctionalInterface
public interface DataStore {
    /**
     * The data of {@code id}.
     *
     * @throws IOException when it cannot be read, or the message is no longer stored
     */
    byte[] readData(MessageId id) throws IOException;
}
