package dev.sluice.egress.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Asks the given name servers, in order, and nothing else: no {@code /etc/hosts} unless the options ask for
 * it, so what the policy configured is what answers (as {@code kumo.dns.configure_resolver{name_servers=...}}).
 */
public final class DnsServerResolver extends NettyDnsResolver {
    private final List<InetSocketAddress> servers;
    private final ResolverOptions options;

    public DnsServerResolver(List<InetSocketAddress> servers) {
        this(servers, ResolverOptions.DEFAULT);
    }

    public DnsServerResolver(List<InetSocketAddress> servers, Duration queryTimeout) {
        this(servers, new ResolverOptions(queryTimeout, ResolverOptions.DEFAULT.attempts(), List.of(), 1, false,
                true, true, true));
    }

    public DnsServerResolver(List<InetSocketAddress> servers, ResolverOptions options) {
        super(servers, options);
        this.servers = List.copyOf(servers);
        this.options = options;
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    public ResolverOptions options() {
        return options;
    }

    @Override
    public String toString() {
        return "DNS resolver " + servers;
    }
}
