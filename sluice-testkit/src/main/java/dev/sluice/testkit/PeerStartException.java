package dev.sluice.testkit;

/** A peer did not become ready; the message carries the tail of its log and the log's path. */
public class PeerStartException extends RuntimeException {
    public PeerStartException(String message) {
        super(message);
    }

    public PeerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
