package dev.sluice.egress.dns;

import java.util.Locale;

/** Host name normalisation shared by the resolvers. */
final class DnsNames {
    private DnsNames() {}

    /** Lower case, without the trailing dot. */
    static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
    }
}
