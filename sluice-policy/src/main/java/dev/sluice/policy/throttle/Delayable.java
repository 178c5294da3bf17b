package dev.sluice.policy.throttle;

import java.time.Duration;

/**
 * A message whose next attempt a policy may put off ({@code throttle:delay_message_if_throttled(msg)}): the MTA's
 * {@code msg} object implements it.
 */
public interface Delayable {
    /** Makes the message due {@code delay} from now (not an attempt). */
    void delayBy(Duration delay);
}
