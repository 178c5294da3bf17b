package dev.sluice.egress.smtp;

/**
 * A step got no reply: it timed out or the connection went away. Carries the synthesized response the
 * affected recipients get; after one of these the connection is closed and not reusable.
 */
final class SmtpStepFailure extends RuntimeException {
    private final SmtpResponse response;

    SmtpStepFailure(SmtpResponse response) {
        super(response.content(), null, false, false);
        this.response = response;
    }

    SmtpResponse response() {
        return response;
    }
}
