package dev.sluice.policy;

/**
 * A policy file failed: a syntax error, a runtime error at load time or in an event handler, or a call that ran
 * over the policy call timeout ({@link #timedOut()}).
 * The message reads {@code file:line: reason}, as Lua reports it, ready for the CLI to print.
 */
public sealed class PolicyException extends Exception permits PolicyRejection {
    private final String event;
    private final boolean timedOut;

    public PolicyException(String message, String event) {
        this(message, event, false);
    }

    public PolicyException(String message, Throwable cause) {
        super(message, cause);
        this.event = null;
        this.timedOut = false;
    }

    PolicyException(String message, String event, boolean timedOut) {
        super(message);
        this.event = event;
        this.timedOut = timedOut;
    }

    /** The call of {@code event} (null: loading the file) was stopped or abandoned at the policy call timeout. */
    public static PolicyException timedOut(String message, String event) {
        return new PolicyException(message, event, true);
    }

    /** The event whose handler failed, or null when the failure happened while loading the file. */
    public String event() {
        return event;
    }

    /**
     * Whether the call ran over the policy call timeout (then it cost that much time of a Lua state, so callers
     * should not repeat it at once for the same input; see {@code EgressConfigResolver}).
     */
    public boolean timedOut() {
        return timedOut;
    }
}
