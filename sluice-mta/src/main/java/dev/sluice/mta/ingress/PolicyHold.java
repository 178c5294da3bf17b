package dev.sluice.mta.ingress;

/**
 * A hold on one version of the policy, taken when an ESMTP transaction or an HTTP inject request starts and closed
 * when it ends, so that every event of it runs the handlers of the version it started under, even when the policy
 * is reloaded meanwhile. Opaque to ingress: the policy side ({@code dev.sluice.mta.policy.PolicyVersionHold}) makes
 * and reads it. Close each hold once.
 */
public interface PolicyHold extends AutoCloseable {
    /** No version held: every event runs the policy's current version (no policy, unit tests). */
    PolicyHold NONE = new PolicyHold() {
        @Override
        public PolicyHold share() {
            return this;
        }

        @Override
        public void close() {}
    };

    /** Another hold on the same version, for work that outlives this hold's owner (an injection); close it too. */
    PolicyHold share();

    @Override
    void close();
}
