package dev.sluice.mta.log;

import java.util.List;
import java.util.Locale;

/**
 * The {@code meta} and {@code headers} lists of {@code configure_local_logs}: exact names, or a prefix ending in
 * {@code *} ({@code 'x_*'} matches every name starting with {@code x_}; {@code '*'} alone matches all).
 *
 * @param ignoreCase true for header names, which RFC 5322 compares without case
 */
public record NameFilter(List<String> patterns, boolean ignoreCase) {

    public NameFilter {
        patterns = List.copyOf(patterns);
    }

    public static NameFilter none() {
        return new NameFilter(List.of(), false);
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    public boolean matches(String name) {
        String n = ignoreCase ? name.toLowerCase(Locale.ROOT) : name;
        for (String p : patterns) {
            String q = ignoreCase ? p.toLowerCase(Locale.ROOT) : p;
            if (q.endsWith("*") ? n.startsWith(q.substring(0, q.length() - 1)) : n.equals(q)) {
                return true;
            }
        }
        return false;
    }
}
