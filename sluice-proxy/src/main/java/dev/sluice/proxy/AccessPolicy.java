package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The listener's ACLs. A refusal names the rule that refused, for the log line. */
final class AccessPolicy {
    private final ProxyListenerConfig config;

    AccessPolicy(ProxyListenerConfig config) {
        this.config = config;
    }

    boolean clientAllowed(InetAddress client) {
        return config.allowedClients() == null || config.allowedClients().contains(client);
    }

    /** Empty when the BIND is allowed, else the name of the refusing rule. */
    Optional<String> refuseBind(List<String> identities, InetAddress source) {
        if (!allowed(config.allowedSourceAddresses(), source)) {
            return Optional.of("allowed_source_addresses");
        }
        for (String id : identities) {
            IdentityRules r = config.identityRules().get(id);
            if (r != null && !allowed(r.allowedSourceAddresses(), source)) {
                return Optional.of("identity_rules[" + id + "].allowed_source_addresses");
            }
        }
        return Optional.empty();
    }

    /** Empty when the CONNECT is allowed, else the name of the refusing rule. */
    Optional<String> refuseConnect(List<String> identities, int port) {
        if (!allowed(config.allowedDestinationPorts(), port)) {
            return Optional.of("allowed_destination_ports");
        }
        for (String id : identities) {
            IdentityRules r = config.identityRules().get(id);
            if (r != null && !allowed(r.allowedDestinationPorts(), port)) {
                return Optional.of("identity_rules[" + id + "].allowed_destination_ports");
            }
        }
        return Optional.empty();
    }

    private static boolean allowed(CidrSet set, InetAddress a) {
        return set == null || set.contains(a);
    }

    private static boolean allowed(Set<Integer> ports, int port) {
        return ports == null || ports.contains(port);
    }
}
