package dev.sluice.proxy.app;

import dev.sluice.policy.Policy;
import dev.sluice.proxy.AuthDecision;
import dev.sluice.proxy.Authenticator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 1929 logins decided by the {@code proxy_server_auth_rfc1929(user, password, conn_meta)} event, as
 * KumoProxy does: {@code true} grants the user name as identity, a table
 * {@code {identities = {{identity = 'x'}, ...}}} grants those, anything else, an error, or no handler
 * at all denies.
 */
final class LuaAuthenticator implements Authenticator {
    private static final Logger log = LoggerFactory.getLogger(LuaAuthenticator.class);
    static final String EVENT = "proxy_server_auth_rfc1929";

    private final Policy policy;

    LuaAuthenticator(Policy policy) {
        this.policy = policy;
    }

    @Override
    public CompletableFuture<AuthDecision> authenticate(String user, String password, Map<String, String> connMeta) {
        if (!policy.hasHandler(EVENT)) {
            return CompletableFuture.completedFuture(new AuthDecision.Denied());
        }
        return policy.callAsync(EVENT, user, password, connMeta)
                .thenApply(result -> decide(user, result))
                .exceptionally(e -> {
                    log.warn("{} failed for user '{}', denying: {}", EVENT, user,
                            e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                    return new AuthDecision.Denied();
                });
    }

    static AuthDecision decide(String user, Object result) {
        if (Boolean.TRUE.equals(result)) {
            return new AuthDecision.Granted(List.of(user));
        }
        if (result instanceof Map<?, ?> info && info.get("identities") instanceof List<?> ids) {
            var identities = new ArrayList<String>();
            for (Object id : ids) {
                if (id instanceof Map<?, ?> m && m.get("identity") instanceof String s) {
                    identities.add(s);
                } else if (id instanceof String s) {
                    identities.add(s);
                }
            }
            if (!identities.isEmpty()) {
                return new AuthDecision.Granted(identities);
            }
        }
        return new AuthDecision.Denied();
    }
}
