package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsQuestion;
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
import io.netty.resolver.dns.DnsServerAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A resolver on Netty's asynchronous DNS client, with its own one-thread event loop. Address lookups go
 * through Netty's resolver (cache, CNAMEs, search domains); MX, TXT and PTR questions are asked directly,
 * and, when the server list is known, retried over every server {@code attempts + 1} times (a timeout,
 * SERVFAIL or REFUSED moves on; NXDOMAIN and an answer are final).
 */
abstract class NettyDnsResolver implements Resolver {
    private static final int NETTY_DEFAULT_MAX_QUERIES = 16;

    private final EventLoopGroup group;
    private final DnsNameResolver dns;
    /** The servers in the order raw questions try them, repeated per attempt; empty: Netty's own choice, once. */
    private final List<InetSocketAddress> queryOrder;

    /** The machine's resolver: Netty's defaults (its resolv.conf search list and ndots). */
    NettyDnsResolver(DnsServerAddressStreamProvider servers, HostsFileEntriesResolver hosts, Duration queryTimeout) {
        this.group = Transports.newEventLoopGroup(1);
        this.dns = common(servers, hosts, queryTimeout).build();
        this.queryOrder = List.of();
    }

    /** Asks {@code servers} only, as {@code options} say. */
    NettyDnsResolver(List<InetSocketAddress> servers, ResolverOptions options) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("name_servers is empty");
        }
        List<InetSocketAddress> order = new ArrayList<>();
        for (int i = 0; i <= options.attempts(); i++) {
            order.addAll(servers);
        }
        this.queryOrder = List.copyOf(order);
        DnsServerAddresses addresses = DnsServerAddresses.sequential(queryOrder);
        this.group = Transports.newEventLoopGroup(1);
        DnsNameResolverBuilder builder = common(hostname -> addresses.stream(),
                options.hostsFile() ? HostsFileEntriesResolver.DEFAULT : (name, family) -> null, options.timeout())
                .maxQueriesPerResolve(Math.max(NETTY_DEFAULT_MAX_QUERIES, 2 * queryOrder.size()))
                .recursionDesired(options.recursionDesired())
                .optResourceEnabled(options.edns0())
                .searchDomains(options.search())
                .ndots(options.ndots());
        if (options.tcpFallback()) {
            builder.socketChannelType(Transports.isEpoll() ? EpollSocketChannel.class : NioSocketChannel.class);
        }
        this.dns = builder.build();
    }

    private DnsNameResolverBuilder common(DnsServerAddressStreamProvider servers, HostsFileEntriesResolver hosts,
                                          Duration queryTimeout) {
        return new DnsNameResolverBuilder(group.next())
                .datagramChannelType(Transports.isEpoll() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .nameServerProvider(servers)
                .hostsFileEntriesResolver(hosts)
                // both families, v4 first; the lookup strategy filters and orders afterwards
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .completeOncePreferredResolved(false)
                .queryTimeoutMillis(queryTimeout.toMillis());
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
        return ask("MX", name, DnsRecordType.MX, response -> parseMx(name, response));
    }

    @Override
    public CompletableFuture<List<String>> txt(String name) {
        String n = DnsNames.normalize(name);
        return ask("TXT", n, DnsRecordType.TXT, response -> {
            List<String> out = new ArrayList<>();
            for (ByteBuf content : answers(response, DnsRecordType.TXT)) {
                StringBuilder text = new StringBuilder();
                while (content.isReadable()) {
                    int len = content.readUnsignedByte();
                    text.append(content.readCharSequence(Math.min(len, content.readableBytes()), StandardCharsets.UTF_8));
                }
                out.add(text.toString());
            }
            return List.copyOf(out);
        });
    }

    @Override
    public CompletableFuture<List<String>> ptr(InetAddress ip) {
        String name = DnsNames.reverse(ip);
        return ask("PTR", name, DnsRecordType.PTR, response -> {
            List<String> out = new ArrayList<>();
            int n = response.count(DnsSection.ANSWER);
            for (int i = 0; i < n; i++) {
                // Netty decodes PTR answers itself
                if (response.recordAt(DnsSection.ANSWER, i) instanceof DnsPtrRecord ptr) {
                    out.add(DnsNames.normalize(ptr.hostname()) + ".");
                }
            }
            return List.copyOf(out);
        });
    }

    @FunctionalInterface
    private interface ResponseParser<T> {
        T parse(DnsResponse response) throws Exception;
    }

    /** One question, retried over {@link #queryOrder}; NXDOMAIN fails with {@link UnknownHostException}. */
    private <T> CompletableFuture<T> ask(String what, String name, DnsRecordType type, ResponseParser<T> parser) {
        CompletableFuture<T> result = new CompletableFuture<>();
        ask(what, name, new DefaultDnsQuestion(name, type), parser, 0, result);
        return result;
    }

    private <T> void ask(String what, String name, DnsQuestion question, ResponseParser<T> parser, int index,
                         CompletableFuture<T> result) {
        var query = queryOrder.isEmpty() ? dns.query(question) : dns.query(queryOrder.get(index), question);
        boolean last = index + 1 >= queryOrder.size();
        query.addListener(f -> {
            if (!f.isSuccess()) {
                if (!last) {
                    ask(what, name, question, parser, index + 1, result);
                } else {
                    result.completeExceptionally(new DnsFailureException(what + " lookup for " + name + " failed: "
                            + f.cause().getMessage(), f.cause()));
                }
                return;
            }
            @SuppressWarnings("unchecked")
            AddressedEnvelope<DnsResponse, InetSocketAddress> envelope =
                    (AddressedEnvelope<DnsResponse, InetSocketAddress>) f.getNow();
            boolean retry = false;
            try {
                DnsResponseCode code = envelope.content().code();
                if (code.equals(DnsResponseCode.NXDOMAIN)) {
                    result.completeExceptionally(new UnknownHostException(what + " lookup for " + name
                            + ": domain does not exist (NXDOMAIN)"));
                } else if (!code.equals(DnsResponseCode.NOERROR)) {
                    retry = !last;
                    if (!retry) {
                        result.completeExceptionally(new DnsFailureException(what + " lookup for " + name
                                + " failed: " + code + " from " + envelope.sender()));
                    }
                } else {
                    result.complete(parser.parse(envelope.content()));
                }
            } catch (Exception e) {
                result.completeExceptionally(e);
            } finally {
                envelope.release();
            }
            if (retry) {
                ask(what, name, question, parser, index + 1, result);
            }
        });
    }

    /** The rdata of each answer of {@code type}, as views of the whole message (compressed names resolve). */
    private static List<ByteBuf> answers(DnsResponse response, DnsRecordType type) {
        List<ByteBuf> out = new ArrayList<>();
        int n = response.count(DnsSection.ANSWER);
        for (int i = 0; i < n; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() == type && r instanceof DnsRawRecord raw) {
                out.add(raw.content().duplicate());
            }
        }
        return out;
    }

    private static List<MxRecord> parseMx(String name, DnsResponse response) {
        List<MxRecord> records = new ArrayList<>();
        for (ByteBuf content : answers(response, DnsRecordType.MX)) {
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
