package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import java.util.Set;

/**
 * Extra rules for one authenticated identity, checked on top of the listener's own rules.
 *
 * @param allowedSourceAddresses CIDRs this identity may BIND; null = any
 * @param allowedDestinationPorts ports this identity may CONNECT to; null = any
 */
public record IdentityRules(CidrSet allowedSourceAddresses, Set<Integer> allowedDestinationPorts) {
    public IdentityRules {
        allowedDestinationPorts = allowedDestinationPorts == null ? null : Set.copyOf(allowedDestinationPorts);
    }
}
