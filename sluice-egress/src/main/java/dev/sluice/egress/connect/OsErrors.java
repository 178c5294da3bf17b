package dev.sluice.egress.connect;

import java.time.Duration;
import java.util.Map;

/** Socket errors in Rust's io::Error wording ("Connection refused (os error 111)"), as KumoMTA prints them. */
final class OsErrors {
    private OsErrors() {}

    private static final Map<String, Integer> ERRNO = Map.ofEntries(
            Map.entry("Permission denied", 13),
            Map.entry("Invalid argument", 22),
            Map.entry("Address family not supported by protocol", 97),
            Map.entry("Address already in use", 98),
            Map.entry("Cannot assign requested address", 99),
            Map.entry("Network is unreachable", 101),
            Map.entry("Connection reset by peer", 104),
            Map.entry("Connection timed out", 110),
            Map.entry("Connection refused", 111),
            Map.entry("No route to host", 113));

    private static final java.util.regex.Pattern NATIVE =
            java.util.regex.Pattern.compile("error\\((-?\\d+)\\): ([^:]+)");

    /**
     * "Connection refused (os error 111)" from Netty's native "finishConnect(..) failed with error(-111):
     * Connection refused: /1.2.3.4:5", or from a JDK message by its text.
     */
    static String describe(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        java.util.regex.Matcher native_ = NATIVE.matcher(m);
        if (native_.find()) {
            return native_.group(2).strip() + " (os error " + Math.abs(Integer.parseInt(native_.group(1))) + ")";
        }
        int failed = m.indexOf("failed: ");
        if (failed >= 0) m = m.substring(failed + "failed: ".length());
        for (Map.Entry<String, Integer> e : ERRNO.entrySet()) {
            if (m.startsWith(e.getKey())) return e.getKey() + " (os error " + e.getValue() + ")";
        }
        return m;
    }

    static boolean isAddressNotAvailable(Throwable t) {
        return t.getMessage() != null && t.getMessage().contains("Cannot assign requested address");
    }

    /** Rust's Duration Debug: "60s", "1.5s", "500ms". */
    static String rustDuration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + "ms";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
    }
}
