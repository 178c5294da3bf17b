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

    /** Receives each submitted message's outcome; called on an event loop, so it must not block. */
    @FunctionalInterface
    interface Listener {
        void completed(ReadyMessage message, DeliveryOutcome outcome);
    }
}
