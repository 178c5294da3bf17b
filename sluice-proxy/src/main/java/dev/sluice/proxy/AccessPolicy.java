package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import dev.sluice.net.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The listener's ACLs. A refusal names the rule that refused, for the log line. */
final class AccessPolicy {
    private final ProxyListenerConfig config;
    private final HostAddresses host;
    private final SourceLimiter sourceLimiter;

    /** @param host what counts as this host for the default refusal of destinations */
    AccessPolicy(ProxyListenerConfig config, HostAddresses host) {
        this.config = config;
        this.host = host;
        this.sourceLimiter = new SourceLimiter(config, System::nanoTime);
    }

    /** Takes a session slot for the BIND source under the listener's and the identities' {@code source_limits}. */
    SourceAdmission admitSource(List<String> identities, InetAddress source) {
        return sourceLimiter.admit(identities, source);
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

    /**
     * Empty when the CONNECT is allowed, else the name of the refusing rule. A destination on this host
     * ({@link HostAddresses}) is refused unless {@code allowed_destinations} lists it.
     */
    Optional<String> refuseConnect(List<String> identities, InetSocketAddress destination) {
        InetAddress address = IpLiterals.unmapV4(destination.getAddress());
        Optional<String> local = host.classify(address);
        if (local.isPresent() && !allowedExplicitly(address)) {
            return Optional.of("the default destination rule: " + address.getHostAddress() + " is " + local.get()
                    + " (allow it with allowed_destinations or --allow-destination)");
        }
        int port = destination.getPort();
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

    private boolean allowedExplicitly(InetAddress a) {
        return config.allowedDestinations() != null && config.allowedDestinations().contains(a);
    }

    private static boolean allowed(CidrSet set, InetAddress a) {
        return set == null || set.contains(a);
    }

    private static boolean allowed(Set<Integer> ports, int port) {
        return ports == null || ports.contains(port);
    }
}
