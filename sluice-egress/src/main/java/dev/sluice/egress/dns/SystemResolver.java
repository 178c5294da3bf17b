package dev.sluice.egress.dns;

import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import java.time.Duration;

/**
 * The machine's own view of names: {@code /etc/hosts} first (so {@code localhost:2525} works), then the
 * name servers of {@code /etc/resolv.conf}.
 */
public final class SystemResolver extends NettyDnsResolver {
    public SystemResolver() {
        super(DnsServerAddressStreamProviders.platformDefault(), HostsFileEntriesResolver.DEFAULT, Duration.ofSeconds(5));
    }

    @Override
    public String toString() {
        return "system resolver (/etc/hosts, /etc/resolv.conf)";
    }
}
