package dev.sluice.mta.policy;

import dev.sluice.net.http.BasicAuthenticator;
import dev.sluice.policy.Policy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * HTTP Basic credentials checked by the policy's {@code http_server_validate_auth_basic(user, password)}:
 * {@code true} (or a table of {@code identities}, KumoMTA's AuthInfo) accepts them, anything else refuses them, an
 * error fails the request (500, logged with file:line). Without a handler every credential is refused, as in KumoMTA.
 */
public final class PolicyBasicAuth implements BasicAuthenticator {
    public static final String EVENT = "http_server_validate_auth_basic";

    private final Policy policy;

    public PolicyBasicAuth(Policy policy) {
        this.policy = policy;
    }

    @Override
    public CompletableFuture<Verdict> check(String user, String password) {
        if (!policy.hasHandler(EVENT)) {
            return CompletableFuture.completedFuture(new Verdict.Refused());
        }
        return policy.callAsync(EVENT, user, password).handle((value, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                return new Verdict.Failed(cause.getMessage());
            }
            boolean accepted = Boolean.TRUE.equals(value) || value instanceof Map<?, ?> info && info.get("identities") != null;
            return accepted ? new Verdict.Accepted(user) : new Verdict.Refused();
        });
    }
}
