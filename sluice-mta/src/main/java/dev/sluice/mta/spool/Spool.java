package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The durable store of accepted messages (meta + data). Writes from all callers are group-committed by one
 * writer thread; every returned future completes only once its write is durable as the spool is configured:
 * with {@code flush = false} it survives SIGKILL of the process, with {@code flush = true} also power loss.
 * Ingress must not acknowledge a message before {@link #store} completed.
 */
public interface Spool extends AutoCloseable {

    /**
     * Writes new messages (meta and data). The messages are serialized before this returns, so the caller may
     * go on changing them. Completes exceptionally (IOException / RocksDBException as the cause) when the
     * write failed: then none of them must be acknowledged.
     */
    CompletableFuture<Void> store(List<Message> messages);

    /**
     * Rewrites the envelope and meta of a spooled message (not its data). A message already removed stays
     * removed: the update is dropped and the future completes normally.
     */
    CompletableFuture<Void> updateMeta(Message message);

    /** Deletes a message (meta and data). Removing an unknown id is not an error. */
    CompletableFuture<Void> remove(MessageId id);

    /**
     * Reads every spooled message, with its meta and data, oldest id first. Meant for start-up, before
     * writes begin; a message whose data or meta cannot be read is logged and skipped.
     */
    void loadAll(Consumer<Message> sink) throws IOException;

    /** The data of a stored message, read from disk (not cached). */
    default byte[] readData(MessageId id) throws IOException {
        throw new IOException("this spool cannot read back the data of " + id);
    }

    /** How many messages are in the spool now (found at open, plus committed stores, minus removals). */
    long count();

    /**
     * Why the spool refuses writes now: its last write failed (e.g. the disk was full) and it has not recovered
     * yet. Ingress refuses new messages meanwhile. Empty while writes work.
     */
    default java.util.Optional<String> writeProblem() {
        return java.util.Optional.empty();
    }

    /** The configuration the spool was opened with. */
    SpoolConfig config();

    /** Finishes the writes already submitted, then closes the store; later writes fail. */
    @Override
    void close();
}
