package dev.sluice.mta.ingress;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Who handed a message over, as the policy's {@code conn_meta} and the log's Reception record see it.
 *
 * @param protocol     "ESMTP" or "HTTP" (the log record's reception_protocol)
 * @param peer         the client's address (after a PROXY header, the address it carried)
 * @param local        the listener address that received it
 * @param heloName     EHLO/HELO name for ESMTP, null for HTTP
 * @param connMeta     extra connection meta for the policy (e.g. http_auth, tls details), as it was when the
 *                     context was taken
 * @param live         the session's {@link ConnectionMeta} itself, which the policy's {@code conn_meta} reads and
 *                     writes; null for HTTP
 * @param hold         the policy version the messages' events run (the transaction's or the inject request's);
 *                     {@link PolicyHold#NONE} for the session's current one ({@code live}'s) or else the current one
 */
public record ReceptionContext(String protocol, InetSocketAddress peer, InetSocketAddress local, String heloName,
                               Map<String, Object> connMeta, ConnectionMeta live, PolicyHold hold) {
    public ReceptionContext {
        connMeta = Map.copyOf(connMeta);
        java.util.Objects.requireNonNull(hold, "hold");
    }

    public ReceptionContext(String protocol, InetSocketAddress peer, InetSocketAddress local, String heloName,
                            Map<String, Object> connMeta, ConnectionMeta live) {
        this(protocol, peer, local, heloName, connMeta, live, PolicyHold.NONE);
    }

    /** This context with its events pinned to {@code pinned}. */
    public ReceptionContext withHold(PolicyHold pinned) {
        return new ReceptionContext(protocol, peer, local, heloName, connMeta, live, pinned);
    }

    /** The version the events run: this context's own hold, else the session's. */
    public PolicyHold effectiveHold() {
        return hold != PolicyHold.NONE || live == null ? hold : live.hold();
    }

    /** A context without a live connection meta (HTTP, tests). */
    public ReceptionContext(String protocol, InetSocketAddress peer, InetSocketAddress local, String heloName,
                            Map<String, Object> connMeta) {
        this(protocol, peer, local, heloName, connMeta, null);
    }
}
