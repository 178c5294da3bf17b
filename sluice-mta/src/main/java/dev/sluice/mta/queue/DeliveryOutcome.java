package dev.sluice.mta.queue;

import dev.sluice.egress.connect.SourceAddress;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.smtp.DeliveryResult;

/**
 * What one delivery attempt of one message came to, for the queue layer to log and act on: delivered
 * (remove from the spool), transient (retry later), permanent (bounce).
 *
 * @param result      the recipient's result with the server's (or a synthesized) response
 * @param source      where the destination saw us come from; null when no connection was made
 * @param destination the destination that answered; null when none did
 * @param tls         "TLSv1.3 TLS_AES_256_GCM_SHA384"-style description when STARTTLS was used, else null
 */
public record DeliveryOutcome(DeliveryResult result, SourceAddress source, DestinationPlanner.Destination destination,
                              String tls) {
    /** How the text begins when dispatch could not take a message because its ready queue held max_ready. */
    public static final String READY_QUEUE_FULL = "Sluice internal: ready queue full: ";

    /** Dispatch refused the message because its ready queue was full: no attempt was made. */
    public boolean readyQueueFull() {
        return result instanceof DeliveryResult.Transient t && t.response().content().startsWith(READY_QUEUE_FULL);
    }
}
