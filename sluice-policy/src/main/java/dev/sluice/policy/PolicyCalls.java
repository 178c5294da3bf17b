package dev.sluice.policy;

import java.util.concurrent.CompletableFuture;

/**
 * What runs events: the {@link Policy} itself (its current version) or a {@link Policy.Version} pinned by a caller
 * that must see one version across several events.
 */
public sealed interface PolicyCalls permits Policy, Policy.Version {
    /** Whether this version's file registered a handler for {@code event}. */
    boolean hasHandler(String event);

    /** {@link Policy#call}: blocks until the handler returned. */
    Object call(String event, Object... args) throws PolicyException;

    /** {@link Policy#callAsync}: does not block. */
    CompletableFuture<Object> callAsync(String event, Object... args);
}
