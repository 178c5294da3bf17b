package dev.sluice.mta.policy;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code smtp_client_rewrite_delivery_status(response, domain, tenant, campaign, routing_domain)} event:
 * when the destination refused a message (a non-2xx reply to MAIL FROM or RCPT TO, a failure reply to DATA or
 * to the final dot), the policy may return another status code, and the message is then handled by that code
 * (5xx bounces, 4xx is retried, 2xx counts as delivered), with
 * {@code " (kumomta: status was rewritten from 451 -> 550)"} appended to the response text, KumoMTA's words,
 * so that log processors written for KumoMTA see the same thing. nil, the same code, or a handler error keep
 * the server's status (an error is logged). Responses Sluice made up itself (timeouts, lost connections) are
 * not the destination's and are not offered to the event, as in KumoMTA.
 *
 * <p>A dispatch listener in front of the queue layer's: the Lua call runs on the policy executor, never on the
 * event loop that reported the outcome.
 */
public final class DeliveryStatusRewrite implements Dispatch.Listener {
    public static final String EVENT = "smtp_client_rewrite_delivery_status";
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryStatusRewrite.class);

    private final Policy policy;
    private final Executor policyExecutor;
    private final Dispatch.Listener next;

    private DeliveryStatusRewrite(Policy policy, Executor policyExecutor, Dispatch.Listener next) {
        this.policy = policy;
        this.policyExecutor = policyExecutor;
        this.next = next;
    }

    /** {@code next} itself when the policy has no handler for the event. */
    public static Dispatch.Listener wrap(Policy policy, Executor policyExecutor, Dispatch.Listener next) {
        Objects.requireNonNull(next, "next");
        return policy.hasHandler(EVENT) ? new DeliveryStatusRewrite(policy, policyExecutor, next) : next;
    }

    @Override
    public void completed(ReadyMessage message, DeliveryOutcome outcome) {
        if (!refusedByDestination(outcome)) {
            next.completed(message, outcome);
            return;
        }
        try {
            policyExecutor.execute(() -> next.completed(message, rewrite(message, outcome)));
        } catch (RejectedExecutionException shuttingDown) {
            next.completed(message, outcome);
        }
    }

    /** A failure reply from the server to a transaction command (not a response Sluice synthesized). */
    static boolean refusedByDestination(DeliveryOutcome outcome) {
        if (outcome.destination() == null || outcome.result() instanceof DeliveryResult.Delivered) {
            return false;
        }
        SmtpResponse r = outcome.result().response();
        String command = r.command();
        return !r.synthesized() && command != null && (command.startsWith("MAIL ") || command.startsWith("RCPT ")
                || command.equals("DATA") || command.equals("."));
    }

    private DeliveryOutcome rewrite(ReadyMessage message, DeliveryOutcome outcome) {
        SmtpResponse response = outcome.result().response();
        QueueName queue = QueueName.parse(message.queueName());
        Object returned;
        try {
            returned = policy.call(EVENT, response.singleLine(), queue.domain(), queue.tenant(), queue.campaign(),
                    queue.deliveryDomain());
        } catch (PolicyException | RuntimeException e) {
            LOG.error("{} failed for {}: {}; keeping the original status", EVENT, message.message().id(), e.getMessage());
            return outcome;
        }
        if (returned == null) {
            return outcome;
        }
        if (!(returned instanceof Long code) || code < 200 || code > 599) {
            LOG.error("{} returned {} for {}: expected nil or a status code 200-599; keeping the original status",
                    EVENT, returned, message.message().id());
            return outcome;
        }
        if (code == response.code()) {
            return outcome;
        }
        SmtpResponse rewritten = response.withCode(code.intValue(),
                " (kumomta: status was rewritten from " + response.code() + " -> " + code + ")");
        return new DeliveryOutcome(DeliveryResult.classify(rewritten), outcome.source(), outcome.destination(),
                outcome.tls());
    }
}
