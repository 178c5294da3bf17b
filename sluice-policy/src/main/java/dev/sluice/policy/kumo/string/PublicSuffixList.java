package dev.sluice.policy.kumo.string;

import dev.sluice.policy.ConfigException;
import java.io.IOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Mozilla's Public Suffix List (ICANN and private sections, as the Rust {@code psl} crate KumoMTA uses),
 * read from the file the {@code publicsuffix} package installs, or from {@code $SLUICE_PUBLIC_SUFFIX_LIST}.
 * Rules are kept in both their Unicode and their ASCII (punycode) forms. An unknown top-level domain is
 * its own suffix (the list's implicit {@code *} rule).
 */
final class PublicSuffixList {
    static final Path DEFAULT_FILE = Path.of("/usr/share/publicsuffix/public_suffix_list.dat");

    private final Set<String> rules = new HashSet<>();
    private final Set<String> wildcards = new HashSet<>();
    private final Set<String> exceptions = new HashSet<>();

    PublicSuffixList(List<String> lines) {
        for (String raw : lines) {
            String line = raw.strip();
            int space = line.indexOf(' ');
            if (space > 0) {
                line = line.substring(0, space);
            }
            if (line.isEmpty() || line.startsWith("//")) {
                continue;
            }
            Set<String> target = rules;
            if (line.startsWith("!")) {
                target = exceptions;
                line = line.substring(1);
            } else if (line.startsWith("*.")) {
                target = wildcards;
                line = line.substring(2);
            }
            String lower = line.toLowerCase(Locale.ROOT);
            target.add(lower);
            try {
                target.add(IDN.toASCII(lower, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // a rule Java's IDNA cannot convert: its Unicode form still matches
            }
        }
    }

    private static volatile PublicSuffixList system;

    static PublicSuffixList system() {
        PublicSuffixList list = system;
        if (list == null) {
            String env = System.getenv("SLUICE_PUBLIC_SUFFIX_LIST");
            Path file = env == null || env.isBlank() ? DEFAULT_FILE : Path.of(env);
            try {
                list = new PublicSuffixList(Files.readAllLines(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ConfigException("the Public Suffix List is not available: cannot read " + file
                        + " (install the publicsuffix package or set SLUICE_PUBLIC_SUFFIX_LIST)");
            }
            system = list;
        }
        return list;
    }

    /** The public suffix of {@code domain}, or null for an empty name. */
    String suffix(String domain) {
        String[] labels = labels(domain);
        if (labels == null) {
            return null;
        }
        int start = labels.length - 1; // the implicit "*" rule
        for (int i = 0; i < labels.length; i++) {
            String candidate = join(labels, i);
            if (exceptions.contains(candidate)) {
                start = i + 1;
                break;
            }
            if (rules.contains(candidate) || (i + 1 < labels.length && wildcards.contains(join(labels, i + 1)))) {
                start = i;
                break;
            }
        }
        return join(labels, start);
    }

    /** The registrable domain (the suffix and one more label), or null when {@code domain} is a suffix itself. */
    String domain(String domain) {
        String[] labels = labels(domain);
        String suffix = suffix(domain);
        if (labels == null || suffix == null) {
            return null;
        }
        int suffixLabels = suffix.split("\\.").length;
        return labels.length > suffixLabels ? join(labels, labels.length - suffixLabels - 1) : null;
    }

    private static String[] labels(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty()) {
            return null;
        }
        String[] labels = d.split("\\.", -1);
        for (String label : labels) {
            if (label.isEmpty()) {
                return null;
            }
        }
        return labels;
    }

    private static String join(String[] labels, int from) {
        return String.join(".", java.util.Arrays.copyOfRange(labels, from, labels.length));
    }
}
