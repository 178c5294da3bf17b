package dev.sluice.mta.dispatch;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.EgressPath;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** A submitted message while the dispatcher holds it; {@link #claim()} makes its completion happen once. */
final class Entry {
    final ReadyMessage message;
    /** Times it went back to the front of its queue because a reused connection had died before MAIL FROM. */
    int requeues;
    private final AtomicBoolean done = new AtomicBoolean();

    Entry(ReadyMessage message) {
        this.message = message;
    }

    /** True for the first caller only. */
    boolean claim() {
        return done.compareAndSet(false, true);
    }

    boolean isDone() {
        return done.get();
    }

    /**
     * Whether {@code other} can ride in the same SMTP transaction as this one (it is already in the same ready
     * queue, so the same source and site): the recipients of one reception, that is the same sender, the same
     * reception instant, the same path config and the same bytes. A policy that rewrote one recipient's data
     * keeps that recipient out of the batch. The data is not in memory (it is read from the spool when the
     * batch is sent): its size and digest ({@link Message#dataDigest()}, spooled with the meta) stand for it; a
     * message whose digest is unknown (spooled by an older version) goes alone.
     */
    boolean batchesWith(Entry other) {
        Message a = message.message();
        Message b = other.message.message();
        if (!a.sender().equals(b.sender()) || !a.created().equals(b.created())) return false;
        EgressPath pa = message.plan().path();
        EgressPath pb = other.message.plan().path();
        if (pa != pb && !pa.equals(pb)) return false;
        long digest = a.dataDigest();
        return digest != 0 && a.size() == b.size() && digest == b.dataDigest();
    }

    /** Whether {@code batch} already has this recipient: one transaction never names a mailbox twice. */
    boolean recipientIn(List<Entry> batch) {
        String r = message.message().recipient();
        for (Entry e : batch) {
            if (e.message.message().recipient().equalsIgnoreCase(r)) return true;
        }
        return false;
    }
}
