package dev.sluice.egress.connect;

import dev.sluice.egress.health.HealthEvent;
import java.net.InetAddress;
import java.util.Optional;

/**
 * Why a connection attempt failed, in KumoMTA's four classes (they decide source health and the
 * summary text). {@link #message()} is the complete human text, KumoMTA's wording where it has one.
 */
public sealed interface ConnectFailure {

    String message();

    /** The same failure with "{@code context}: " in front of the message (e.g. the SMTP layer's "connect to X and read initial banner"). */
    ConnectFailure withContext(String context);

    /** The health event this failure counts as, if any. */
    default Optional<HealthEvent> healthEvent() {
        return switch (this) {
            case BindError b -> b.unplumbed() ? Optional.of(HealthEvent.Unplumbed) : Optional.empty();
            case ConnectError c -> c.isProxy() ? Optional.of(HealthEvent.ProxyUnhealthy) : Optional.empty();
            case ProxyBindError p -> Optional.of(HealthEvent.ProxyUnhealthy);
            case Other o -> Optional.empty();
        };
    }

    /** The local {@code bind(source_address:0)} failed; {@code unplumbed} when the errno was EADDRNOTAVAIL. */
    record BindError(String message, InetAddress sourceIp, boolean unplumbed) implements ConnectFailure {
        @Override
        public BindError withContext(String context) {
            return new BindError(context + ": " + message, sourceIp, unplumbed);
        }
    }

    /** The TCP connect (or its timeout) to the proxy ({@code isProxy}) or the destination failed. */
    record ConnectError(String message, boolean isProxy) implements ConnectFailure {
        @Override
        public ConnectError withContext(String context) {
            return new ConnectError(context + ": " + message, isProxy);
        }
    }

    /** The SOCKS5 proxy refused to BIND the requested source address (unplumbed on the proxy host, or not allowed). */
    record ProxyBindError(String message) implements ConnectFailure {
        @Override
        public ProxyBindError withContext(String context) {
            return new ProxyBindError(context + ": " + message);
        }
    }

    /** Anything else: address family mismatch, DNS, handshake timeout, authentication, CONNECT refused. */
    record Other(String message) implements ConnectFailure {
        @Override
        public Other withContext(String context) {
            return new Other(context + ": " + message);
        }
    }
}
