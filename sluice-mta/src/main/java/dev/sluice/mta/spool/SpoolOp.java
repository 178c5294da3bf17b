package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.message.SpilledData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** One write for the writer thread, already serialized by the caller so the writer never touches a Message. */
sealed interface SpoolOp {
    MessageId id();

    /** Approximate bytes, to bound the size of one group commit. */
    int size();

    /**
     * Serializes new messages on the caller's thread (in parallel across sessions, and the caller may change
     * the messages afterwards).
     *
     * @throws java.io.UncheckedIOException when a meta value cannot be written as JSON
     */
    static List<SpoolOp> stores(List<Message> messages) {
        List<SpoolOp> ops = new ArrayList<>(messages.size());
        try {
            for (Message m : messages) {
                ops.add(store(m));
            }
        } catch (RuntimeException e) {
            ops.forEach(SpoolOp::release);
            throw e;
        }
        return ops;
    }

    /**
     * A message whose data is still in the file it was received into is written from a mapping of that file
     * (off the heap; mapped here, on the caller's thread, so that one message's unreadable file fails only its own
     * store); a prefix too large for the file's head room is the exception, read onto the heap.
     */
    private static Store store(Message m) {
        byte[] meta = MetaCodec.encode(m);
        SpilledData spilled = m.spilled();
        if (spilled != null) {
            try {
                MappedByteBuffer mapped = spilled.map();
                if (mapped != null) {
                    return new Store(m.id(), meta, EMPTY, mapped);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the received data of " + m.id() + ": " + e.getMessage(), e);
            }
        }
        return new Store(m.id(), meta, m.data(), null);
    }

    /** Lets go of what the op holds off the heap (a mapping), once it is written or dropped. */
    default void release() {
    }

    byte[] EMPTY = new byte[0];

    /**
     * @param data   the data on the heap, or empty when {@code mapped} holds it
     * @param mapped the data mapped from the file it was received into, or null; {@link #release} unmaps it
     */
    record Store(MessageId id, byte[] meta, byte[] data, MappedByteBuffer mapped) implements SpoolOp {
        @Override
        public int size() {
            return meta.length + data.length + (mapped == null ? 0 : mapped.capacity());
        }

        @Override
        public void release() {
            SpilledData.unmap(mapped);
        }
    }

    record UpdateMeta(MessageId id, byte[] meta) implements SpoolOp {
        @Override
        public int size() {
            return meta.length;
        }
    }

    record Remove(MessageId id) implements SpoolOp {
        @Override
        public int size() {
            return 16;
        }
    }
}
