package dev.sluice.net.http;

import java.util.concurrent.CompletableFuture;

/**
 * Checks HTTP Basic credentials for an {@link HttpServer} (the MTA wires it to the policy's
 * {@code http_server_validate_auth_basic(user, password)}). Never blocks: the answer is a future.
 */
@FunctionalInterface
public interface BasicAuthenticator {

    /** What became of the credentials. */
    sealed interface Verdict {
        /** Valid: the request runs as {@code user}, from any address. */
        record Accepted(String user) implements Verdict {}

        /** Invalid: 401. */
        record Refused() implements Verdict {}

        /** The check itself failed (a policy error): 500, try again later. */
        record Failed(String reason) implements Verdict {}
    }

    /** Refuses every credential: KumoMTA's behaviour without a handler. */
    BasicAuthenticator NONE = (user, password) -> CompletableFuture.completedFuture(new Verdict.Refused());

    /** @param password null when the client sent a user name without a colon */
    CompletableFuture<Verdict> check(String user, String password);
}
