package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.ReceptionContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client outside {@code relay_hosts} may send to a recipient domain (the lead wires it to the
 * policy's {@code get_listener_domain(domain, listener, conn_meta)} and its {@code relay_to}). Asynchronous so that a
 * Lua call never blocks the event loop; the RCPT reply waits for it, later pipelined commands wait behind it.
 */
@FunctionalInterface
public interface RelayPolicy {
    /** Refuses every domain: only clients inside relay_hosts may relay. */
    RelayPolicy DENY_ALL = (domain, context) -> CompletableFuture.completedFuture(false);

    /**
     * @param domain  the recipient's domain, lower-cased
     * @param context the session as the policy sees it (peer after a PROXY header, HELO name, connection meta)
     * @return true to accept the recipient
     */
    CompletionStage<Boolean> relayAllowed(String domain, ReceptionContext context);

    /**
     * Whether a client outside {@code relay_hosts} may relay this transaction to any domain because of its
     * sender's domain ({@code relay_from}: the client's address is inside the CIDRs listed for that domain).
     *
     * @param senderDomain the MAIL FROM domain, lower-cased
     */
    default CompletionStage<Boolean> relayFromAllowed(String senderDomain, ReceptionContext context) {
        return CompletableFuture.completedFuture(false);
    }
}
