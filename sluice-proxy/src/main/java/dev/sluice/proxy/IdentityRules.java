package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import java.util.List;
import java.util.Set;

/**
 * Extra rules for one authenticated identity, checked on top of the listener's own rules.
 *
 * @param allowedSourceAddresses CIDRs this identity may BIND; null = any
 * @param allowedDestinationPorts ports this identity may CONNECT to; null = any
 * @param sourceLimits this identity's own session limits per BIND source range, counted apart from the listener's
 */
public record IdentityRules(CidrSet allowedSourceAddresses, Set<Integer> allowedDestinationPorts,
        List<SourceLimit> sourceLimits) {
    public IdentityRules {
        allowedDestinationPorts = allowedDestinationPorts == null ? null : Set.copyOf(allowedDestinationPorts);
        sourceLimits = sourceLimits == null ? List.of() : List.copyOf(sourceLimits);
    }

    /** Rules without source limits. */
    public IdentityRules(CidrSet allowedSourceAddresses, Set<Integer> allowedDestinationPorts) {
        this(allowedSourceAddresses, allowedDestinationPorts, List.of());
    }
}
