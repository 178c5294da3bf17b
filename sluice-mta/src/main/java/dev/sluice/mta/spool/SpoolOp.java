package dev.sluice.mta.spool;

import dev.sluice.mta.message.MessageId;

/** One write for the writer thread, already serialized by the caller so the writer never touches a Message. */
sealed interface SpoolOp {
    MessageId id();

    /** Approximate bytes, to bound the size of one group commit. */
    int size();

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
