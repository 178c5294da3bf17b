package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Destinations that are this host rather than the network: loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0/8, ::),
 * link-local (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4, ff00::/8), and the addresses of this host's own
 * interfaces, as enumerated when the listener started. IPv4-mapped IPv6 forms count as the IPv4 address they carry.
 * A proxy that connects to these would hand its clients the host's local services (an MTA's injection API, its
 * port 25 as a trusted local client), so by default they are refused.
 */
final class HostAddresses {
    private final Set<InetAddress> own;

    private HostAddresses(Set<InetAddress> own) {
        this.own = Set.copyOf(own);
    }

    /** The addresses of this host's interfaces now (up or down). */
    static HostAddresses current() {
        var found = new HashSet<InetAddress>();
        try {
            NetworkInterface.networkInterfaces()
                    .flatMap(NetworkInterface::inetAddresses)
                    .forEach(a -> found.add(normalized(a)));
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this host's interface addresses: " + e.getMessage(), e);
        }
        return new HostAddresses(found);
    }

    /** A host with exactly these interface addresses (tests). */
    static HostAddresses of(Collection<InetAddress> addresses) {
        var found = new HashSet<InetAddress>();
        addresses.forEach(a -> found.add(normalized(a)));
        return new HostAddresses(found);
    }

    /** Empty when {@code address} is out on the network; else what makes it this host ("loopback", ...). */
    Optional<String> classify(InetAddress address) {
        InetAddress a = normalized(address);
        if (a.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (a.isAnyLocalAddress() || (a instanceof Inet4Address && a.getAddress()[0] == 0)) {
            return Optional.of("unspecified");
        }
        if (a.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (a.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        if (own.contains(a)) {
            return Optional.of("an address of this host");
        }
        return Optional.empty();
    }

    /** IPv4-mapped → IPv4, and without an IPv6 scope, so that equal addresses compare equal. */
    private static InetAddress normalized(InetAddress address) {
        InetAddress a = IpLiterals.unmapV4(address);
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
