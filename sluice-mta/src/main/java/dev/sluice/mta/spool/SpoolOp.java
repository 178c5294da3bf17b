package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.message.SpilledData;
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
        for (Message m : messages) {
            ops.add(store(m));
        }
        return ops;
    }

    /**
     * A message whose data is still in the file it was received into is written from that file (by the writer: the
     * file stays open until the store completed), never through the heap.
     */
    private static Store store(Message m) {
        byte[] meta = MetaCodec.encode(m);
        SpilledData spilled = m.spilled();
        return spilled != null ? new Store(m.id(), meta, EMPTY, spilled) : new Store(m.id(), meta, m.data(), null);
    }

    byte[] EMPTY = new byte[0];

    /**
     * @param data    the data on the heap, or empty when {@code spilled} holds it
     * @param spilled the data in the file it was received into, or null
     */
    record Store(MessageId id, byte[] meta, byte[] data, SpilledData spilled) implements SpoolOp {
        @Override
        public int size() {
            return meta.length + data.length + (spilled == null ? 0 : (int) spilled.size());
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
