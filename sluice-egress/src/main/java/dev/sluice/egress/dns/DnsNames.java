package dev.sluice.egress.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;

/** Host name normalisation shared by the resolvers. */
final class DnsNames {
    private DnsNames() {}

    /** Lower case, without the trailing dot. */
    static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
    }

    /** The PTR owner name of {@code ip}: {@code 4.3.2.1.in-addr.arpa}, or the nibbles under {@code ip6.arpa}. */
    static String reverse(InetAddress ip) {
        byte[] b = ip.getAddress();
        StringBuilder out = new StringBuilder();
        if (ip instanceof Inet4Address) {
            for (int i = b.length - 1; i >= 0; i--) {
                out.append(b[i] & 0xff).append('.');
            }
            return out.append("in-addr.arpa").toString();
        }
        for (int i = b.length - 1; i >= 0; i--) {
            out.append(Character.forDigit(b[i] & 0xf, 16)).append('.')
                    .append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append('.');
        }
        return out.append("ip6.arpa").toString();
    }
}
