package dev.sluice.mta.queue;

import java.time.Instant;
import java.util.Optional;

/**
 * What the operator ordered for the queues (admin bounces, scheduled-queue and ready-queue suspensions), as the
 * queue layer asks it: {@link ScheduledQueues} consults it each time a message falls due, and dispatch asks
 * {@link #readySuspended} before a ready queue hands a message to a connection. The answers change at any time;
 * the owner calls {@link ScheduledQueues#sweep()} after a change so that messages already waiting follow it.
 */
public interface AdminRules {
    /** The admin bounce that applies to the messages of {@code queue}, if one does. */
    Optional<Bounce> bounce(QueueName queue);

    /** The suspension of the scheduled queue {@code queue}, if it is suspended. */
    Optional<Hold> suspended(QueueName queue);

    /** The suspension of the ready queue {@code readyQueueName} ({@code source->site@smtp_client}), if any. */
    Optional<Hold> readySuspended(String readyQueueName);

    /** Nothing ordered: every queue flows. */
    AdminRules NONE = new AdminRules() {
        @Override
        public Optional<Bounce> bounce(QueueName queue) {
            return Optional.empty();
        }

        @Override
        public Optional<Hold> suspended(QueueName queue) {
            return Optional.empty();
        }

        @Override
        public Optional<Hold> readySuspended(String readyQueueName) {
            return Optional.empty();
        }
    };

    /** A suspension: why, and until when (the message waits until then, or until the suspension is cancelled). */
    record Hold(String reason, Instant until) {}

    /** An admin bounce in force: its reason, whether to log AdminBounce records, and its per-queue counts. */
    interface Bounce {
        String reason();

        boolean suppressLogging();

        /** One message of {@code queueName} was bounced by this entry. */
        void bounced(String queueName);
    }
}
