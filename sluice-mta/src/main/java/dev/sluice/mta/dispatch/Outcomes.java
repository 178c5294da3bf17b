package dev.sluice.mta.dispatch;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.EnhancedStatusCode;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.queue.DeliveryOutcome;

/** Outcomes the dispatcher makes up itself, when no server answered. Texts start "Sluice internal:". */
final class Outcomes {
    private Outcomes() {}

    static final String SHUTTING_DOWN = "Sluice internal: shutting down, the message stays in the spool";

    static DeliveryOutcome transientFailure(int code, EnhancedStatusCode enhanced, String text) {
        return new DeliveryOutcome(new DeliveryResult.Transient(new SmtpResponse(code, enhanced, text, null)), null, null, null);
    }

    static DeliveryOutcome permanentFailure(int code, EnhancedStatusCode enhanced, String text) {
        return new DeliveryOutcome(new DeliveryResult.Permanent(new SmtpResponse(code, enhanced, text, null)), null, null, null);
    }

    static DeliveryOutcome shuttingDown() {
        return transientFailure(451, new EnhancedStatusCode(4, 3, 2), SHUTTING_DOWN);
    }

    static DeliveryOutcome readyQueueFull(String queue, int maxReady) {
        return transientFailure(451, new EnhancedStatusCode(4, 4, 5),
                DeliveryOutcome.READY_QUEUE_FULL + queue + " holds max_ready " + maxReady + " messages");
    }
}
