package dev.sluice.policy.egress;

import java.net.InetAddress;
import java.util.List;

/** A list of address blocks ({@code prohibited_hosts}, {@code skip_hosts}). */
public record CidrList(List<Cidr> blocks) {
    public static final CidrList EMPTY = new CidrList(List.of());

    public CidrList {
        blocks = List.copyOf(blocks);
    }

    /** @throws IllegalArgumentException naming the first bad entry */
    public static CidrList parse(List<String> entries) {
        return new CidrList(entries.stream().map(Cidr::parse).toList());
    }

    public boolean contains(InetAddress address) {
        for (Cidr block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }
}
