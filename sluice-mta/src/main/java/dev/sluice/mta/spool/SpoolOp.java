package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
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
            ops.add(new Store(m.id(), MetaCodec.encode(m), m.data()));
        }
        return ops;
    }

    record Store(MessageId id, byte[] meta, byte[] data) implements SpoolOp {
        @Override
        public int size() {
            return meta.length + data.length;
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
