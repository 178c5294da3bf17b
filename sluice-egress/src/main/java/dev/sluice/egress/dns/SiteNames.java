package dev.sluice.egress.dns;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * KumoMTA's site name for a list of MX hosts: the hosts' labels compared from the right, each position
 * written once, as {@code (a|b)} when the hosts differ there and with {@code ?} when some hosts have no label
 * there; {@code gmail-smtp-in.l.google.com} plus {@code alt1..alt4.gmail-smtp-in.l.google.com} gives
 * {@code (alt1|alt2|alt3|alt4)?.gmail-smtp-in.l.google.com}. A null MX ({@code .}) gives "".
 */
public final class SiteNames {
    private static final String MISSING = "?";

    private SiteNames() {}

    /** @param hosts host names in preference order, with or without the trailing dot */
    public static String factor(List<String> hosts) {
        List<List<String>> split = new ArrayList<>();
        int longest = 0;
        for (String host : hosts) {
            String name = DnsNames.normalize(host);
            List<String> labels = new ArrayList<>(name.equals(".") || name.isEmpty() ? List.of() : List.of(name.split("\\.")));
            Collections.reverse(labels);
            longest = Math.max(longest, labels.size());
            split.add(labels);
        }
        List<List<String>> positions = new ArrayList<>();
        for (List<String> labels : split) {
            for (int i = 0; i < labels.size(); i++) {
                add(positions, labels.get(i), i);
            }
            for (int i = labels.size(); i < longest; i++) {
                add(positions, MISSING, i);
            }
        }
        List<String> parts = new ArrayList<>();
        for (List<String> seen : positions) {
            boolean optional = seen.remove(MISSING);
            String text = seen.size() == 1 ? seen.getFirst() : "(" + String.join("|", seen) + ")";
            parts.add(optional ? text + MISSING : text);
        }
        Collections.reverse(parts);
        return String.join(".", parts).toLowerCase(Locale.ROOT);
    }

    private static void add(List<List<String>> positions, String label, int i) {
        if (i < positions.size()) {
            if (!positions.get(i).contains(label)) positions.get(i).add(label);
        } else {
            positions.add(new ArrayList<>(List.of(label)));
        }
    }
}
