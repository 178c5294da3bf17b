package dev.sluice.egress.nats;

import java.util.List;
import java.util.Map;

/** One operation a NATS server sends to a client ({@link NatsDecoder}'s output). */
sealed interface NatsOp {
    /** {@code INFO {json}}: the server's description, as parsed JSON. */
    record Info(Map<String, Object> fields) implements NatsOp {}

    /**
     * {@code MSG} or {@code HMSG}: a message for one of our subscriptions.
     *
     * @param status  the status of an {@code HMSG}'s {@code NATS/1.0 503} line, 0 when none
     * @param headers header lines as {@code [name, value]} pairs, in order
     */
    record Msg(String subject, String sid, String replyTo, int status, String statusText,
               List<Map.Entry<String, String>> headers, byte[] payload) implements NatsOp {}

    record Ping() implements NatsOp {}

    record Pong() implements NatsOp {}

    record Ok() implements NatsOp {}

    /** {@code -ERR 'text'}, the text without the quotes. */
    record Err(String text) implements NatsOp {}
}
