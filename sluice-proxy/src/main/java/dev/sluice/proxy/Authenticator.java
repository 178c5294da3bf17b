package dev.sluice.proxy;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Decides RFC 1929 credentials. Called on a Netty event loop: implementations must not block; return a
 * future completed later (for example by a Lua worker). The future may complete on any thread.
 * {@code connMeta} holds {@code peer_address} and {@code local_address} as "ip:port".
 */
@FunctionalInterface
public interface Authenticator {
    CompletableFuture<AuthDecision> authenticate(String user, String password, Map<String, String> connMeta);

    /** The default when no authenticator is configured: everyone is refused (as KumoProxy without a handler). */
    Authenticator DENY_ALL = (u, p, m) -> CompletableFuture.completedFuture(new AuthDecision.Denied());
}
