package dev.sluice.mta.queue;

/**
 * The delivery side of the MTA: ready queues per (egress source, site), each with up to
 * {@code connection_limit} connections that carry its messages. The scheduled queues {@link #submit} messages
 * whose time has come; every submitted message comes back exactly once through the {@link Listener}.
 */
public interface Dispatch extends AutoCloseable {

    void submit(ReadyMessage message);

    /** Messages submitted and not yet completed. */
    int inFlight();

    /** Stop taking messages, let transactions in flight finish (up to {@code timeout}), then close connections. */
    void drain(java.time.Duration timeout);

    @Override
    void close();

    /**
     * Ready queues whose name ({@link ReadyMessage#readyQueueName()}) matches {@code held} hand no message to a
     * connection (an operator's ready-queue suspension); their messages wait. Re-checked at {@link #wake()}.
     */
    default void readyHold(java.util.function.Predicate<String> held) {}

    /**
     * Takes back the messages that match and still wait for a connection (none of them was sent): they leave
     * dispatch without an outcome (the listener does not hear of them) and the caller owns them again.
     */
    default java.util.List<ReadyMessage> withdraw(java.util.function.Predicate<ReadyMessage> which) {
        return java.util.List.of();
    }

    /**
     * The messages submitted and not yet completed (waiting in a ready queue or in a transaction), for the
     * operator's inspection; a weakly consistent look.
     */
    default java.util.List<ReadyMessage> outstanding() {
        return java.util.List.of();
    }

    /** Every ready queue looks again at its waiting messages (after {@link #readyHold}'s answer changed). */
    default void wake() {}

    /** Receives each submitted message's outcome; called on an event loop, so it must not block. */
    @FunctionalInterface
    interface Listener {
        void completed(ReadyMessage message, DeliveryOutcome outcome);
    }
}
