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
public interface Spool extends AutoCloseable, dev.sluice.mta.message.DataStore {

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
     * Reads every spooled message's envelope and meta, never its data (each message's {@link Message#data()}
     * reads it from this spool when asked), oldest id first. Meant for start-up; it may run while ingress
     * writes (RocksDB reads a snapshot taken when it starts; LocalDisk may also find messages stored meanwhile,
     * which the caller tells apart by their id's time). A message whose meta cannot be read is logged and
     * skipped. RocksDB verifies its files' checksums before the first walk (not at open, so that the listeners
     * answer at once whatever the spool holds) and quarantines damaged messages as the open used to: {@link #start}
     * must have been called.
     */
    void loadAll(Consumer<Message> sink) throws IOException;

    /** The data of a stored message, read from disk (not cached). */
    @Override
    byte[] readData(MessageId id) throws IOException;

    /**
     * How many messages are in the spool now: those stored before it opened, plus committed stores, minus
     * removals. RocksDB reads its ids at open only for a small spool (that would grow with the spool before the
     * listeners answer): until the first {@link #loadAll} has walked a larger one, its count includes an estimate of
     * the ones not walked yet (an overestimate: RocksDB's key estimate or the commit mark's count, the smaller).
     */
    long count();

    /**
     * Starts the writer thread (a step of the MTA's lifecycle: no thread starts when a spool is opened). Writes
     * submitted before wait for it.
     */
    void start();

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
