package dev.sluice.mta.queue;

import dev.sluice.mta.message.Message;
import dev.sluice.policy.PolicyException;
import java.time.Instant;
import java.util.Optional;

/**
 * Asked when a due message is about to leave its scheduled queue for a ready queue (the policy's
 * {@code throttle_insert_ready_queue} event): the instant it must wait until instead, if it is put off. A message put
 * off goes back to wait without counting an attempt.
 */
@FunctionalInterface
public interface ReadyGate {
    ReadyGate OPEN = (m, q) -> Optional.empty();

    Optional<Instant> delayed(Message message, QueueName queue) throws PolicyException;
}
