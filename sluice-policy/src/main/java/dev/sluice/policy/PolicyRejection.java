package dev.sluice.policy;

/**
 * A handler ended its event with {@code kumo.reject(code, text)}: the caller answers exactly {@code code text}
 * (4xx: temporary, 5xx: permanent) instead of treating the failure as a policy error. The message still reads
 * {@code file:line: kumo.reject(code, text)} for logs.
 */
public final class PolicyRejection extends PolicyException {
    private final int code;
    private final String text;

    PolicyRejection(String message, String event, int code, String text) {
        super(message, event, false);
        this.code = code;
        this.text = text;
    }

    /** The SMTP-style reply code the policy asked for, 400..599. */
    public int code() {
        return code;
    }

    /** The reply text as the policy gave it (it may begin with an enhanced status code such as 5.7.1). */
    public String text() {
        return text;
    }

    /** Whether the code is a 4xx (try again later) rather than a 5xx (refused for good). */
    public boolean temporary() {
        return code < 500;
    }
}
