package dev.sluice.egress.shaping;

/** What an automation rule does when it fires (carried out by the TSA daemon, not by the loader). */
public sealed interface ShapingAction {

    /** The actions without parameters, named as in the shaping file. */
    enum Named implements ShapingAction {
        /** Stop delivery for the triggering (source, site). */
        Suspend,
        /** Hold the scheduled queues of the record's domain and tenant. */
        SuspendTenant,
        /** Hold the scheduled queues of the record's domain, tenant and campaign. */
        SuspendCampaign,
        /** Bounce what is queued for the record's domain. */
        Bounce,
        BounceTenant,
        BounceCampaign
    }

    /**
     * Override one egress path option for the duration: {@code SetConfig} for the rule's scope (the site when the
     * rule's block is rolled up), {@code SetDomainConfig} ({@code domainOnly}) for the record's domain only.
     */
    record SetConfig(String name, Object value, boolean domainOnly) implements ShapingAction {}
}
