package dev.sluice.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 or IPv6 network in CIDR form. A bare address is a host route (/32 or /128).
 * An IPv4-mapped IPv6 address is matched as the IPv4 address it carries.
 */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        Objects.requireNonNull(network, "network");
        int max = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range for " + network.getHostAddress());
        }
        network = mask(network, prefixLength);
    }

    /** Parses "10.0.0.0/8", "::1/128", "192.0.2.7" or "[::1]"; never does DNS. */
    public static Cidr parse(String text) {
        String s = Objects.requireNonNull(text, "cidr").trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        String host = addr;
        InetAddress ip = IpLiterals.parse(addr).orElseThrow(
                () -> new IllegalArgumentException("invalid CIDR '" + text + "': '" + host + "' is not an IP address"));
        int max = ip.getAddress().length * 8;
        int prefix;
        if (slash < 0) {
            prefix = max;
        } else {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid CIDR '" + text + "': bad prefix length");
            }
        }
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("invalid CIDR '" + text + "': prefix length " + prefix + " is out of range");
        }
        return new Cidr(ip, prefix);
    }

    public boolean contains(InetAddress address) {
        InetAddress a = IpLiterals.unmapV4(address);
        byte[] net = network.getAddress();
        byte[] candidate = a.getAddress();
        if (net.length != candidate.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (net[i] != candidate[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xFF << (8 - rest)) & 0xFF;
        return (net[full] & m) == (candidate[full] & m);
    }

    private static InetAddress mask(InetAddress address, int prefix) {
        InetAddress a = IpLiterals.unmapV4(address);
        byte[] b = a.getAddress();
        if (prefix > b.length * 8) {
            // an IPv4-mapped v6 literal with a v6 prefix: keep the v6 form
            a = address;
            b = a.getAddress();
        }
        for (int bit = prefix; bit < b.length * 8; bit++) {
            b[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }

    /** True for an IPv4 network. */
    public boolean isV4() {
        return network instanceof Inet4Address;
    }

    /** True for an IPv6 network. */
    public boolean isV6() {
        return network instanceof Inet6Address;
    }
}
