package dev.sluice.policy;

/**
 * A policy file failed: a syntax error, a runtime error at load time or in an event handler.
 * The message reads {@code file:line: reason}, as Lua reports it, ready for the CLI to print.
 */
public final class PolicyException extends Exception {
    private final String event;

    public PolicyException(String message, String event) {
        super(message);
        this.event = event;
    }

    public PolicyException(String message, Throwable cause) {
        super(message, cause);
        this.event = null;
    }

    /** The event whose handler failed, or null when the failure happened while loading the file. */
    public String event() {
        return event;
    }
}
