package dev.sluice.mta.policy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ReadyGate;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.time.Instant;
import java.util.Optional;

/**
 * KumoMTA's {@code throttle_insert_ready_queue(msg)} event, run when a due message is about to move from its
 * scheduled queue toward a ready queue: every handler runs, in registration order; a handler that delays the message
 * ({@code throttle:delay_message_if_throttled(msg)}) sends it back to wait until then, without counting an attempt.
 * Changes the handlers make to the message's meta stay with the message.
 */
public final class ThrottleInsertReadyQueue implements ReadyGate {
    public static final String EVENT = "throttle_insert_ready_queue";
    private final Policy policy;

    private ThrottleInsertReadyQueue(Policy policy) {
        this.policy = policy;
    }

    /** {@link ReadyGate#OPEN} when the policy has no handler for the event. */
    public static ReadyGate of(Policy policy) {
        return policy.hasHandler(EVENT) ? new ThrottleInsertReadyQueue(policy) : ReadyGate.OPEN;
    }

    @Override
    public Optional<Instant> delayed(Message message, QueueName queue) throws PolicyException {
        LuaMessage msg = new LuaMessage(message);
        policy.call(EVENT, msg);
        return Optional.ofNullable(msg.delayedUntil());
    }
}
