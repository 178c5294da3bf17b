package dev.sluice.mta.policy;

import dev.sluice.mta.ingress.PolicyHold;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyCalls;

/** Ingress's {@link PolicyHold} over a {@link Policy.Version}: what a transaction or an inject request pinned. */
public final class PolicyVersionHold implements PolicyHold {
    private final Policy.Version version;

    private PolicyVersionHold(Policy.Version version) {
        this.version = version;
    }

    /** A hold on the policy's current version. */
    public static PolicyHold pin(Policy policy) {
        return new PolicyVersionHold(policy.pin());
    }

    /** What runs events under {@code hold}: its version, or the policy's current one when it holds none. */
    public static PolicyCalls calls(Policy policy, PolicyHold hold) {
        return hold instanceof PolicyVersionHold pinned ? pinned.version : policy;
    }

    @Override
    public PolicyHold share() {
        return new PolicyVersionHold(version.share());
    }

    @Override
    public void close() {
        version.close();
    }

    @Override
    public String toString() {
        return version.toString();
    }
}
