package dev.sluice.egress.connect;

import java.util.Objects;

/** How {@link Connector#connect} futures fail: carries the (combined) classified failure. */
public final class ConnectFailedException extends RuntimeException {
    private final transient ConnectFailure failure;

    public ConnectFailedException(ConnectFailure failure) {
        super(failure.message(), null, false, false);
        this.failure = Objects.requireNonNull(failure);
    }

    public ConnectFailure failure() {
        return failure;
    }

    /** The ConnectFailure inside {@code t} (unwrapping CompletionException), or an Other with its message. */
    public static ConnectFailure failureOf(Throwable t) {
        Throwable c = t;
        while (c != null) {
            if (c instanceof ConnectFailedException e) return e.failure();
            c = c.getCause();
        }
        return new ConnectFailure.Other(String.valueOf(t == null ? null : t.getMessage()));
    }
}
