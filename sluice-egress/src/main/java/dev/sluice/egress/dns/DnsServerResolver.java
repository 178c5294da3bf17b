package dev.sluice.egress.dns;

import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddresses;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Asks the given name servers, in order, and nothing else: no {@code /etc/hosts}, so what the policy
 * configured is what answers (as {@code kumo.dns.configure_resolver{name_servers=...}}).
 */
public final class DnsServerResolver extends NettyDnsResolver {
    private final List<InetSocketAddress> servers;

    public DnsServerResolver(List<InetSocketAddress> servers) {
        this(servers, Duration.ofSeconds(5));
    }

    public DnsServerResolver(List<InetSocketAddress> servers, Duration queryTimeout) {
        super(provider(servers), (name, family) -> null, queryTimeout);
        this.servers = List.copyOf(servers);
    }

    private static DnsServerAddressStreamProvider provider(List<InetSocketAddress> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("name_servers is empty");
        }
        DnsServerAddresses addresses = DnsServerAddresses.sequential(servers);
        return hostname -> addresses.stream();
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    @Override
    public String toString() {
        return "DNS resolver " + servers;
    }
}
