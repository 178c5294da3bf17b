package dev.sluice.policy.egress;

import java.net.InetAddress;
import java.util.Arrays;

/** An address block such as {@code 127.0.0.0/8} or {@code ::1} (a single address when no prefix is given). */
public record Cidr(InetAddress network, int prefix) {
    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " is out of range for " + network.getHostAddress());
        }
        network = mask(network, prefix);
    }

    /** @throws IllegalArgumentException "invalid CIDR 'x'" */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String ip = slash < 0 ? text : text.substring(0, slash);
        InetAddress address = IpLiterals.tryParse(ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip);
        if (address == null) {
            throw new IllegalArgumentException("invalid CIDR '" + text + "': '" + ip + "' is not an IP address");
        }
        int bits = address.getAddress().length * 8;
        if (slash < 0) {
            return new Cidr(address, bits);
        }
        String prefix = text.substring(slash + 1);
        if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > bits) {
            throw new IllegalArgumentException("invalid CIDR '" + text + "': bad prefix length '" + prefix + "'");
        }
        return new Cidr(address, Integer.parseInt(prefix));
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        return a.length == network.getAddress().length && mask(address, prefix).equals(network);
    }

    private static InetAddress mask(InetAddress address, int prefix) {
        byte[] b = address.getAddress();
        byte[] out = Arrays.copyOf(b, b.length);
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        try {
            return InetAddress.getByAddress(out);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: 4 or 16 bytes
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }
}
