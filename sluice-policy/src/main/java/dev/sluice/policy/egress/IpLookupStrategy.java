package dev.sluice.policy.egress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** KumoMTA's {@code ip_lookup_strategy}: which address families to look up, and in which order. */
public enum IpLookupStrategy {
    Ipv4Only,
    Ipv6Only,
    Ipv4AndIpv6,
    Ipv6thenIpv4,
    Ipv4thenIpv6;

    /**
     * Keeps the families this strategy wants, in its order. The "then" strategies use the second
     * family only when the first gave nothing; Ipv4AndIpv6 keeps both, IPv4 first.
     */
    public List<InetAddress> apply(List<InetAddress> addresses) {
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (InetAddress a : addresses) {
            if (a instanceof Inet4Address) v4.add(a);
            else if (a instanceof Inet6Address) v6.add(a);
        }
        List<InetAddress> out = new ArrayList<>();
        switch (this) {
            case Ipv4Only -> out.addAll(v4);
            case Ipv6Only -> out.addAll(v6);
            case Ipv4AndIpv6 -> { out.addAll(v4); out.addAll(v6); }
            case Ipv4thenIpv6 -> out.addAll(v4.isEmpty() ? v6 : v4);
            case Ipv6thenIpv4 -> out.addAll(v6.isEmpty() ? v4 : v6);
        }
        return List.copyOf(out);
    }

    /**
     * Parses KumoMTA's spelling (hickory's {@code Ipv4thenIpv6}); the capitalised {@code Ipv4ThenIpv6} that
     * some KumoMTA docs show is accepted too.
     */
    public static IpLookupStrategy parse(String text) {
        for (IpLookupStrategy s : values()) {
            if (s.name().equals(text) || s.name().replace("then", "Then").equals(text)) return s;
        }
        throw new IllegalArgumentException("unknown value '" + text
                + "', expected one of Ipv4Only, Ipv6Only, Ipv4AndIpv6, Ipv6thenIpv4, Ipv4thenIpv6");
    }
}
