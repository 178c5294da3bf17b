package dev.sluice.proxy;

import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;

/** How a SOCKS session ended; decides completed vs failed metrics and the log line. */
sealed interface SessionOutcome {

    /** Relay ran and both directions finished (or a peer closed). Counted as completed. */
    record Relayed() implements SessionOutcome {
        @Override public String toString() { return "relayed"; }
    }

    /** A request got a failure reply (ACL, bind/connect error, unsupported). Counted as completed, as KumoProxy does. */
    record Refused(Socks5CommandStatus reply, String reason) implements SessionOutcome {
        @Override public String toString() { return "refused(0x" + java.util.HexFormat.of().toHexDigits(reply.byteValue()) + "): " + reason; }
    }

    /** Handshake or auth failure, handshake timeout, malformed input, relay I/O error. Counted as failed. */
    record Failed(String reason) implements SessionOutcome {
        @Override public String toString() { return "failed: " + reason; }
    }

    /** The client closed its side (FIN or reset) before the handshake was done. Counted as failed. */
    record ClosedByClient(String during) implements SessionOutcome {
        @Override public String toString() { return "closed by client during " + during; }
    }

    default boolean completed() {
        return this instanceof Relayed || this instanceof Refused;
    }
}
