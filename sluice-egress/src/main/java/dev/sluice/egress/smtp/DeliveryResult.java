package dev.sluice.egress.smtp;

/** What happened to one recipient: the server's (or a synthesized) response and its class. */
public sealed interface DeliveryResult {
    SmtpResponse response();

    /** Accepted by the server at the final dot. */
    record Delivered(SmtpResponse response) implements DeliveryResult {}

    /** 4xx, timeout or lost connection: retry later. */
    record Transient(SmtpResponse response) implements DeliveryResult {}

    /** 5xx or a local refusal that retrying cannot fix. */
    record Permanent(SmtpResponse response) implements DeliveryResult {}

    /** 2xx/3xx → Delivered, 4xx → Transient, 5xx → Permanent. */
    static DeliveryResult classify(SmtpResponse r) {
        if (r.isPermanentFailure()) return new Permanent(r);
        if (r.isTransientFailure()) return new Transient(r);
        return new Delivered(r);
    }

    /** A failure reply: 5xx → Permanent, anything else (including an unexpected 2xx/3xx) → Transient. */
    static DeliveryResult failure(SmtpResponse r) {
        return r.isPermanentFailure() ? new Permanent(r) : new Transient(r);
    }
}
