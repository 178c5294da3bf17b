package dev.sluice.net.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Minimal CIDR set for the HTTP listener's trusted_hosts. Kept private to this package on purpose: the general
 * CIDR type lives elsewhere; this one only needs literal addresses and prefixes, no DNS.
 */
final class TrustedHosts {

    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] addr) {
            if (addr.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (addr[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;

    private TrustedHosts(List<Block> blocks) {
        this.blocks = blocks;
    }

    static TrustedHosts parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>(entries.size());
        for (String entry : entries) {
            blocks.add(parseOne(entry.trim()));
        }
        return new TrustedHosts(List.copyOf(blocks));
    }

    private static Block parseOne(String entry) {
        int slash = entry.indexOf('/');
        String host = slash < 0 ? entry : entry.substring(0, slash);
        byte[] addr = literal(host, entry);
        int max = addr.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(entry.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CIDR prefix in '" + entry + "'");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("CIDR prefix out of range in '" + entry + "'");
            }
        }
        return new Block(addr, prefix);
    }

    /** Accepts only IP literals: a hostname here would mean a DNS lookup at config time. */
    private static byte[] literal(String host, String entry) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        boolean looksLiteral = h.contains(":") || h.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!looksLiteral) {
            throw new IllegalArgumentException("trusted host must be an IP address or CIDR: '" + entry + "'");
        }
        try {
            return InetAddress.getByName(h).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad IP address in '" + entry + "'", e);
        }
    }

    boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] addr = unmapIpv4(address.getAddress());
        for (Block block : blocks) {
            if (block.contains(addr)) {
                return true;
            }
        }
        return false;
    }

    /** A dual-stack socket may report ::ffff:a.b.c.d; match it against IPv4 blocks. */
    private static byte[] unmapIpv4(byte[] addr) {
        if (addr.length != 16) {
            return addr;
        }
        for (int i = 0; i < 10; i++) {
            if (addr[i] != 0) {
                return addr;
            }
        }
        if (addr[10] != (byte) 0xff || addr[11] != (byte) 0xff) {
            return addr;
        }
        return new byte[] {addr[12], addr[13], addr[14], addr[15]};
    }
}
