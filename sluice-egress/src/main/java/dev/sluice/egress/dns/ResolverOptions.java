package dev.sluice.egress.dns;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link DnsServerResolver} asks its name servers: the parts of {@code kumo.dns.configure_resolver}'s
 * {@code domain}, {@code search} and {@code options} that Sluice acts on.
 *
 * @param timeout          per-query timeout ({@code options.timeout}, default 5 s)
 * @param attempts         retries after a failed query (timeout, SERVFAIL, REFUSED) before giving up; each
 *                         round asks every server in order ({@code options.attempts}, default 2)
 * @param search           domains tried after a name with fewer than {@code ndots} dots, for address lookups
 *                         ({@code domain} first, then {@code search})
 * @param ndots            dots a name needs to be tried as-is first ({@code options.ndots}, default 1)
 * @param hostsFile        read {@code /etc/hosts} first ({@code options.use_hosts_file = 'Always'})
 * @param recursionDesired the RD bit ({@code options.recursion_desired}, default true)
 * @param edns0            send an EDNS0 OPT record ({@code options.edns0}, default true)
 * @param tcpFallback      repeat a truncated UDP answer over TCP (name server protocol {@code udp_then_tcp},
 *                         the default of the plain {@code 'ip:port'} form)
 */
public record ResolverOptions(Duration timeout, int attempts, List<String> search, int ndots, boolean hostsFile,
                              boolean recursionDesired, boolean edns0, boolean tcpFallback) {
    public static final ResolverOptions DEFAULT =
            new ResolverOptions(Duration.ofSeconds(5), 2, List.of(), 1, false, true, true, true);

    public ResolverOptions {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        if (attempts < 0) throw new IllegalArgumentException("attempts must not be negative");
        if (ndots < 0) throw new IllegalArgumentException("ndots must not be negative");
        search = List.copyOf(search);
    }

    /** Queries one lookup may send to {@code servers} name servers: every server, {@code attempts + 1} rounds. */
    int queryBudget(int servers) {
        return servers * (attempts + 1);
    }
}
