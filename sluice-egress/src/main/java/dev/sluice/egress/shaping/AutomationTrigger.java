package dev.sluice.egress.shaping;

import dev.sluice.policy.egress.ThrottleSpec;

/** When an automation rule's action is taken. */
public sealed interface AutomationTrigger {
    /** Every time the regex matches (the default). */
    record Immediate() implements AutomationTrigger {}

    /** Once {@code spec.limit()} matches happened within {@code spec.period()}; {@code text} as written. */
    record Threshold(ThrottleSpec spec, String text) implements AutomationTrigger {}
}
