package dev.sluice.egress.nats;

import java.io.IOException;

/** A NATS connection, publication or acknowledgement that failed; the message names the server. */
public final class NatsException extends IOException {
    public NatsException(String message) {
        super(message);
    }

    public NatsException(String message, Throwable cause) {
        super(message, cause);
    }
}
