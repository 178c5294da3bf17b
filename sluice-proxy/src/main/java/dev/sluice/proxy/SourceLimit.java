package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import java.util.Objects;

/**
 * One {@code source_limits} entry: sessions whose BIND source falls in {@code cidr} share these limits (the
 * range as a whole, not each address in it).
 *
 * @param cidr the entry's key as written, for log lines
 * @param sources the parsed key
 * @param maxSessions concurrent sessions from the range, counted from BIND to the session's end; null = no limit
 * @param maxSessionRate new sessions (BINDs) from the range; null = no limit
 */
public record SourceLimit(String cidr, CidrSet sources, Integer maxSessions, SessionRate maxSessionRate) {
    public SourceLimit {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(sources, "sources");
        if (maxSessions != null && maxSessions < 0) {
            throw new IllegalArgumentException("max_sessions must not be negative: " + maxSessions);
        }
    }
}
