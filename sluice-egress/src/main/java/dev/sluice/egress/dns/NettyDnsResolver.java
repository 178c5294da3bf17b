package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A resolver on Netty's asynchronous DNS client, with its own one-thread event loop. */
abstract class NettyDnsResolver implements Resolver {
    private final EventLoopGroup group;
    private final DnsNameResolver dns;

    NettyDnsResolver(DnsServerAddressStreamProvider servers, HostsFileEntriesResolver hosts, Duration queryTimeout) {
        this.group = Transports.newEventLoopGroup(1);
        this.dns = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(Transports.isEpoll() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .nameServerProvider(servers)
                .hostsFileEntriesResolver(hosts)
                // both families, v4 first; the lookup strategy filters and orders afterwards
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .completeOncePreferredResolved(false)
                .queryTimeoutMillis(queryTimeout.toMillis())
                .build();
    }

    @Override
    public CompletableFuture<List<InetAddress>> addresses(String host, IpLookupStrategy strategy) {
        Optional<InetAddress> literal = IpLiterals.parse(host);
        if (literal.isPresent()) {
            return CompletableFuture.completedFuture(strategy.apply(List.of(literal.get())));
        }
        CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
        dns.resolveAll(DnsNames.normalize(host)).addListener(f -> {
            if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> all = (List<InetAddress>) f.getNow();
                result.complete(strategy.apply(all));
            } else {
                result.completeExceptionally(f.cause());
            }
        });
        return result;
    }

    @Override
    public CompletableFuture<List<MxRecord>> mx(String domain) {
        String name = DnsNames.normalize(domain);
        CompletableFuture<List<MxRecord>> result = new CompletableFuture<>();
        dns.query(new DefaultDnsQuestion(name, DnsRecordType.MX)).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new DnsFailureException("MX lookup for " + name + " failed: "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            @SuppressWarnings("unchecked")
            AddressedEnvelope<DnsResponse, InetSocketAddress> envelope =
                    (AddressedEnvelope<DnsResponse, InetSocketAddress>) f.getNow();
            try {
                result.complete(parseMx(name, envelope.content()));
            } catch (Exception e) {
                result.completeExceptionally(e);
            } finally {
                envelope.release();
            }
        });
        return result;
    }

    private static List<MxRecord> parseMx(String name, DnsResponse response) throws Exception {
        DnsResponseCode code = response.code();
        if (code.equals(DnsResponseCode.NXDOMAIN)) {
            throw new UnknownHostException("MX lookup for " + name + ": domain does not exist (NXDOMAIN)");
        }
        if (!code.equals(DnsResponseCode.NOERROR)) {
            throw new DnsFailureException("MX lookup for " + name + " failed: " + code);
        }
        List<MxRecord> records = new ArrayList<>();
        int n = response.count(DnsSection.ANSWER);
        for (int i = 0; i < n; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() != DnsRecordType.MX || !(r instanceof DnsRawRecord raw)) continue;
            // the content is a view of the whole message, so compressed names resolve
            ByteBuf content = raw.content().duplicate();
            int preference = content.readUnsignedShort();
            String exchange = DnsNames.normalize(DefaultDnsRecordDecoder.decodeName(content));
            records.add(new MxRecord(preference, exchange.equals(".") ? "" : exchange));
        }
        return sortOrImplicit(name, records);
    }

    static List<MxRecord> sortOrImplicit(String name, List<MxRecord> records) {
        if (records.isEmpty()) {
            return List.of(new MxRecord(0, name, true));
        }
        List<MxRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(MxRecord::preference));
        return List.copyOf(sorted);
    }

    @Override
    public void close() {
        dns.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
