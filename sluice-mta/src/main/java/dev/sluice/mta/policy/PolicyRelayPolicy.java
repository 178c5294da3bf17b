package dev.sluice.mta.policy;

import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.ingress.smtp.RelayPolicy;
import dev.sluice.policy.Policy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay from the policy's {@code get_listener_domain(domain, listener, conn_meta)}: asked for each recipient's
 * domain, {@code relay_to = true} accepts the recipient; asked for the sender's domain at MAIL FROM, a client
 * address inside its {@code relay_from} CIDRs may relay the transaction anywhere. Clients inside {@code relay_hosts}
 * never get here (the ESMTP server accepts them first). The Lua call runs on the policy's executor, never on the
 * event loop; a failing handler refuses (a broken policy must not open the relay).
 */
public final class PolicyRelayPolicy implements RelayPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyRelayPolicy.class);
    public static final String EVENT = "get_listener_domain";

    private final Policy policy;

    public PolicyRelayPolicy(Policy policy) {
        this.policy = policy;
    }

    @Override
    public CompletionStage<Boolean> relayAllowed(String domain, ReceptionContext context) {
        return ask(domain, context, ListenerDomain::relayTo);
    }

    @Override
    public CompletionStage<Boolean> relayFromAllowed(String senderDomain, ReceptionContext context) {
        if (context.peer() == null) {
            return CompletableFuture.completedFuture(false);
        }
        return ask(senderDomain, context, d -> d.relayFrom().contains(context.peer().getAddress()));
    }

    private CompletionStage<Boolean> ask(String domain, ReceptionContext context, Predicate<ListenerDomain> test) {
        var calls = PolicyVersionHold.calls(policy, context.effectiveHold()); // the transaction's version
        if (!calls.hasHandler(EVENT)) {
            return CompletableFuture.completedFuture(false);
        }
        String listener = context.local() == null ? ""
                : dev.sluice.net.IpLiterals.format(context.local());
        return calls.callAsync(EVENT, domain, listener, ReceptionEvents.connMetaArgument(context))
                .thenApply(result -> test.test(ListenerDomain.parse(result)))
                .exceptionally(e -> {
                    // a broken handler must not open the relay: refuse, and say why in the log
                    LOG.warn("get_listener_domain({}) failed, refusing to relay: {}", domain,
                            e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
                    return false;
                });
    }
}
