package dev.sluice.net;

import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

/** An immutable list of CIDRs; an address matches when any entry contains it. */
public record CidrSet(List<Cidr> entries) {

    public CidrSet {
        entries = List.copyOf(entries);
    }

    public static CidrSet of(String... cidrs) {
        return parse(List.of(cidrs));
    }

    public static CidrSet parse(Collection<String> cidrs) {
        return new CidrSet(cidrs.stream().map(Cidr::parse).toList());
    }

    public boolean contains(InetAddress address) {
        for (Cidr c : entries) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
