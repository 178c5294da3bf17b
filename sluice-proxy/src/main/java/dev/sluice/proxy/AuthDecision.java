package dev.sluice.proxy;

import java.util.List;

/** What an {@link Authenticator} decided about one RFC 1929 username/password. */
public sealed interface AuthDecision {

    /** The credentials were refused; the client gets {@code 01 01} and is closed. */
    record Denied() implements AuthDecision {}

    /** Accepted; the identities are logged with the session and checked against identity rules. */
    record Granted(List<String> identities) implements AuthDecision {
        public Granted {
            identities = List.copyOf(identities);
        }
    }

    static AuthDecision denied() {
        return new Denied();
    }

    static AuthDecision granted(String... identities) {
        return new Granted(List.of(identities));
    }
}
