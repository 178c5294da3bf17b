package dev.sluice.egress.health;

import dev.sluice.policy.egress.SuspensionRule;

/**
 * A source's suspension rules; either may be null (no suspension of that kind, failures are still counted).
 */
public record HealthRules(SuspensionRule whenUnplumbed, SuspensionRule whenProxyUnhealthy) {
    public static final HealthRules NONE = new HealthRules(null, null);

    public SuspensionRule ruleFor(HealthEvent event) {
        return event == HealthEvent.Unplumbed ? whenUnplumbed : whenProxyUnhealthy;
    }
}
