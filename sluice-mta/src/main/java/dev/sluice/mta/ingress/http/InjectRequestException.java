package dev.sluice.mta.ingress.http;

/**
 * A request the API refuses as a whole: 400 when the JSON does not have the request's shape, 422 when the
 * content cannot be parsed or built. The message names the field, e.g. {@code recipients[2].email: not an
 * email address}.
 */
public final class InjectRequestException extends Exception {
    private final int status;

    InjectRequestException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static InjectRequestException badRequest(String message) {
        return new InjectRequestException(400, message);
    }

    static InjectRequestException unprocessable(String message) {
        return new InjectRequestException(422, message);
    }

    public int status() {
        return status;
    }
}
