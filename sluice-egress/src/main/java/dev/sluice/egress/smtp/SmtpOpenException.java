package dev.sluice.egress.smtp;

/**
 * The session could not be set up (banner, EHLO/HELO, STARTTLS): {@link #response()} is the server's
 * reply or a synthesized one ("Sluice internal: ..."), and {@link #asResult()} is what every recipient that
 * was meant for this connection gets. The channel has been closed.
 */
public final class SmtpOpenException extends Exception {
    private final SmtpResponse response;

    SmtpOpenException(SmtpResponse response) {
        super(response.toString());
        this.response = response;
    }

    public SmtpResponse response() {
        return response;
    }

    /** 5xx → Permanent, anything else → Transient. */
    public DeliveryResult asResult() {
        return DeliveryResult.failure(response);
    }
}
