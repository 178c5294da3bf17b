package dev.sluice.egress.connect;

import dev.sluice.policy.egress.IpLookupStrategy;
import dev.sluice.egress.dns.Resolver;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Opens the TCP connection of one egress source to one destination address: directly, through SOCKS5, or
 * through HAProxy, as KumoMTA's {@code connect_to}. Proxy servers given by name are resolved now; their
 * addresses (of {@code localBind}'s family) are tried in order, recently failed ones last, all within one
 * {@code connectTimeout}. Failures are classified ({@link ConnectFailure}), counted in {@link SourceHealth}
 * (which may suspend the source) and in {@link ConnectMetrics}.
 */
public final class Connector {
    private final Supplier<Resolver> resolver;
    private final SourceHealth health;
    private final RouteHealth routes;
    private final ConnectMetrics metrics;

    public Connector(Supplier<Resolver> resolver, SourceHealth health, RouteHealth routes, ConnectMetrics metrics) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.health = Objects.requireNonNull(health, "health");
        this.routes = Objects.requireNonNull(routes, "routes");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Connects {@code route} to {@code destination} (an IP address and port). The future completes with a
     * {@link Connected} whose channel lives on {@code loop}, or fails with a {@link ConnectFailedException}.
     */
    public CompletableFuture<Connected> connect(EgressRoute route, InetSocketAddress destination, Duration connectTimeout,
                                                EventLoop loop) {
        Objects.requireNonNull(destination.getAddress(), "destination must be resolved");
        String source = route.sourceName();
        if (health.isSuspended(source)) {
            // fail fast, and do not count it as another health event
            return failed(new ConnectFailure.ConnectError("source " + source + " is unhealthy and suspended", false));
        }
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        Attempt attempt = new Attempt(route, destination, connectTimeout, deadline, loop);
        CompletableFuture<Connected> result = new CompletableFuture<>();
        attempt.candidates().whenComplete((candidates, error) -> {
            if (error != null) {
                result.completeExceptionally(recordHealth(route, failureOf(error)));
                return;
            }
            attempt.tryEach(candidates, 0, new ArrayList<>(), result);
        });
        return result;
    }

    private ConnectFailedException recordHealth(EgressRoute route, ConnectFailure failure) {
        failure.healthEvent().ifPresent(e -> health.record(route.sourceName(), e, route.health().ruleFor(e)));
        return new ConnectFailedException(failure);
    }

    private static ConnectFailure failureOf(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof ConnectFailedException e ? e.failure() : new ConnectFailure.Other(String.valueOf(c.getMessage()));
    }

    private static <T> CompletableFuture<T> failed(ConnectFailure f) {
        return CompletableFuture.failedFuture(new ConnectFailedException(f));
    }

    /** One call of connect(): the route, the destination and the shared deadline. */
    private final class Attempt {
        final EgressRoute route;
        final InetSocketAddress destination;
        final Duration timeout;
        final long deadline;
        final EventLoop loop;

        Attempt(EgressRoute route, InetSocketAddress destination, Duration timeout, long deadline, EventLoop loop) {
            this.route = route;
            this.destination = destination;
            this.timeout = timeout;
            this.deadline = deadline;
            this.loop = loop;
        }

        long remainingMillis() {
            return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        }

        /** Transport addresses to try: the destination itself, or the proxy's candidates. */
        CompletableFuture<List<InetSocketAddress>> candidates() {
            String source = route.sourceName();
            return switch (route.hop()) {
                case ProxyHop.Direct d -> CompletableFuture.completedFuture(List.of(destination));
                case ProxyHop.HaProxy h -> {
                    if (!sameFamily(h.proxySource(), destination.getAddress())) {
                        yield failed(new ConnectFailure.Other("Skipping " + source + " because ha_proxy_source_address "
                                + NetUtil.toAddressString(h.proxySource()) + " address family does not match the destination address family "
                                + IpLiterals.format(destination)));
                    }
                    yield proxyCandidates(h.server(), "ha_proxy_server");
                }
                case ProxyHop.Socks5 s -> {
                    if (s.bindSource() != null && !sameFamily(s.bindSource(), destination.getAddress())) {
                        yield failed(new ConnectFailure.Other("Skipping " + source + " because socks5_proxy_source_address "
                                + NetUtil.toAddressString(s.bindSource()) + " address family does not match the destination address family "
                                + IpLiterals.format(destination)));
                    }
                    yield proxyCandidates(s.server(), "socks5_proxy_server");
                }
            };
        }

        private CompletableFuture<List<InetSocketAddress>> proxyCandidates(String server, String field) {
            String source = route.sourceName();
            ProxyServerAddress parsed;
            try {
                parsed = ProxyServerAddress.parse(server);
            } catch (IllegalArgumentException e) {
                return failed(new ConnectFailure.Other("source " + source + ": invalid " + field + ": " + e.getMessage()));
            }
            CompletableFuture<List<InetAddress>> resolved = parsed.literal().isPresent()
                    ? CompletableFuture.completedFuture(List.of(parsed.literal().get()))
                    : resolver.get().addresses(parsed.host(), IpLookupStrategy.Ipv4AndIpv6)
                            .orTimeout(Math.max(1, remainingMillis()), TimeUnit.MILLISECONDS);
            return resolved.handle((addresses, error) -> {
                if (error != null) {
                    Throwable c = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    String what = c instanceof TimeoutException ? "timeout resolving " : "resolving ";
                    throw new ConnectFailedException(new ConnectFailure.Other(what + field + " " + server + " for source "
                            + source + (c instanceof TimeoutException ? "" : ": " + c.getMessage())));
                }
                List<InetSocketAddress> candidates = new ArrayList<>();
                addresses.forEach(a -> candidates.add(new InetSocketAddress(a, parsed.port())));
                InetAddress local = route.localBind();
                if (local != null) {
                    int before = candidates.size();
                    candidates.removeIf(c -> !sameFamily(local, c.getAddress()));
                    if (candidates.isEmpty()) {
                        throw new ConnectFailedException(new ConnectFailure.Other("source " + source + ": no " + field
                                + " candidates remain after filtering " + before + " resolved address(es) to match source_address "
                                + NetUtil.toAddressString(local) + " family"));
                    }
                }
                if (candidates.isEmpty()) {
                    throw new ConnectFailedException(new ConnectFailure.Other("source " + source + ": " + field + " " + server
                            + " resolved to no usable addresses"));
                }
                return routes.order(candidates);
            });
        }

        void tryEach(List<InetSocketAddress> candidates, int index, List<ConnectFailure> errors,
                     CompletableFuture<Connected> result) {
            if (index == candidates.size()) {
                result.completeExceptionally(recordHealth(route, combine(candidates, errors)));
                return;
            }
            InetSocketAddress transport = candidates.get(index);
            boolean isProxy = !(route.hop() instanceof ProxyHop.Direct);
            connectOne(transport).whenComplete((connected, error) -> {
                if (error == null) {
                    if (isProxy) routes.succeeded(transport);
                    result.complete(connected);
                    return;
                }
                ConnectFailure f = failureOf(error);
                if (isProxy && f instanceof ConnectFailure.ConnectError) routes.failed(transport);
                errors.add(f);
                tryEach(candidates, index + 1, errors, result);
            });
        }

        /** KumoMTA's combine_connect_errors. */
        ConnectFailure combine(List<InetSocketAddress> candidates, List<ConnectFailure> errors) {
            if (errors.size() == 1) return errors.getFirst();
            if (errors.stream().allMatch(e -> e instanceof ConnectFailure.BindError)) return errors.getFirst();
            if (errors.stream().allMatch(e -> e instanceof ConnectFailure.ProxyBindError)) return errors.getFirst();
            boolean isProxy = errors.stream().anyMatch(e -> e instanceof ConnectFailure.ProxyBindError
                    || e instanceof ConnectFailure.ConnectError c && c.isProxy());
            List<String> details = new ArrayList<>();
            for (int i = 0; i < errors.size(); i++) {
                details.add(IpLiterals.format(candidates.get(i)) + ": " + errors.get(i).message());
            }
            return new ConnectFailure.ConnectError("failed to connect via any of " + errors.size() + " candidate(s) for source "
                    + route.sourceName() + ": " + details.stream().collect(Collectors.joining("; ")), isProxy);
        }

        /** kumod's ProxyProto Debug, shortened: what this attempt goes through. */
        String proto(InetSocketAddress transport) {
            return switch (route.hop()) {
                case ProxyHop.Direct d -> "None";
                case ProxyHop.HaProxy h -> "HA { server: " + IpLiterals.format(transport) + ", source: "
                        + NetUtil.toAddressString(h.proxySource()) + " }";
                case ProxyHop.Socks5 s -> "Socks5 { server: " + IpLiterals.format(transport) + ", source: "
                        + (s.bindSource() == null ? "None" : NetUtil.toAddressString(s.bindSource())) + ", destination: "
                        + IpLiterals.format(destination) + (s.tls() == null ? "" : ", tls: true") + " }";
            };
        }

        CompletableFuture<Connected> connectOne(InetSocketAddress transport) {
            boolean isProxy = !(route.hop() instanceof ProxyHop.Direct);
            String transportContext = IpLiterals.format(transport) + " " + proto(transport);
            String connectContext = IpLiterals.format(destination) + " transport=" + IpLiterals.format(transport)
                    + " proto=" + proto(transport);
            CompletableFuture<Connected> out = new CompletableFuture<>();
            Bootstrap b = Transports.clientBootstrap(transport.getAddress())
                    .group(loop)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, Math.max(1, remainingMillis())))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // the pipeline stays empty for the caller
                        }
                    });
            ChannelFuture reg = b.register();
            reg.addListener(r -> {
                if (!r.isSuccess()) {
                    out.completeExceptionally(new ConnectFailedException(new ConnectFailure.Other(
                            "make socket to connect to " + connectContext + ": " + OsErrors.describe(r.cause()))));
                    return;
                }
                Channel ch = reg.channel();
                InetAddress local = route.localBind();
                if (local == null) {
                    tcpConnect(ch, transport, isProxy, transportContext, out);
                    return;
                }
                ch.bind(new InetSocketAddress(local, 0)).addListener(bf -> {
                    if (!bf.isSuccess()) {
                        metrics.bindFailures.inc();
                        ch.close();
                        out.completeExceptionally(new ConnectFailedException(new ConnectFailure.BindError(
                                "bind " + NetUtil.toAddressString(local) + " for " + route.sourceName() + " failed: "
                                        + OsErrors.describe(bf.cause()) + " while attempting to connect to " + connectContext,
                                local, OsErrors.isAddressNotAvailable(bf.cause()))));
                        return;
                    }
                    tcpConnect(ch, transport, isProxy, transportContext, out);
                });
            });
            return out;
        }

        private void tcpConnect(Channel ch, InetSocketAddress transport, boolean isProxy, String transportContext,
                                CompletableFuture<Connected> out) {
            if (remainingMillis() <= 0) {
                ch.close();
                if (isProxy) metrics.proxyConnectionFailures.inc();
                out.completeExceptionally(new ConnectFailedException(new ConnectFailure.ConnectError(
                        "timeout after " + OsErrors.rustDuration(timeout) + " while connecting to " + transportContext, isProxy)));
                return;
            }
            ch.connect(transport).addListener(cf -> {
                if (!cf.isSuccess()) {
                    ch.close();
                    if (isProxy) metrics.proxyConnectionFailures.inc();
                    String reason = cf.cause() instanceof ConnectTimeoutException
                            ? "timeout after " + OsErrors.rustDuration(timeout) + " while connecting to " + transportContext
                            : "failed to connect to " + transportContext + ": " + OsErrors.describe(cf.cause());
                    out.completeExceptionally(new ConnectFailedException(new ConnectFailure.ConnectError(reason, isProxy)));
                    return;
                }
                handshake(ch, transport, transportContext).whenComplete((connected, error) -> {
                    if (error != null) {
                        ch.close();
                        out.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error);
                    } else {
                        out.complete(connected);
                    }
                });
            });
        }

        /** The protocol step after TCP connect, under the same deadline. */
        private CompletableFuture<Connected> handshake(Channel ch, InetSocketAddress transport, String transportContext) {
            return switch (route.hop()) {
                case ProxyHop.Direct d -> CompletableFuture.completedFuture(new Connected(ch,
                        SourceAddress.direct((InetSocketAddress) ch.localAddress())));
                case ProxyHop.HaProxy h -> {
                    CompletableFuture<Connected> out = new CompletableFuture<>();
                    ch.writeAndFlush(HaProxyHeader.encode(ch.alloc(), h.proxySource(), destination)).addListener(w -> {
                        if (w.isSuccess()) {
                            out.complete(new Connected(ch, SourceAddress.haproxy(h.proxySource(), transport)));
                        } else {
                            out.completeExceptionally(new ConnectFailedException(new ConnectFailure.Other(
                                    "failed to perform proxy handshake with " + transportContext + ": sending ha proxy protocol header for connection from source:"
                                            + route.sourceName() + ": " + OsErrors.describe(w.cause()))));
                        }
                    });
                    yield out;
                }
                case ProxyHop.Socks5 s -> socks5(ch, s, transport, transportContext);
            };
        }

        private CompletableFuture<Connected> socks5(Channel ch, ProxyHop.Socks5 s, InetSocketAddress transport, String transportContext) {
            CompletableFuture<Connected> out = new CompletableFuture<>();
            long left = remainingMillis();
            var timer = ch.eventLoop().schedule(() -> {
                out.completeExceptionally(new ConnectFailedException(new ConnectFailure.Other("timeout after "
                        + OsErrors.rustDuration(timeout) + " while performing proxy handshake with " + transportContext)));
            }, Math.max(1, left), TimeUnit.MILLISECONDS);
            out.whenComplete((c, e) -> timer.cancel(false));
            Runnable startSocks = () -> {
                Socks5Handshake hs = new Socks5Handshake(s, destination, proto(transport));
                hs.result.whenComplete((r, e) -> {
                    if (e != null) {
                        ConnectFailure f = failureOf(e).withContext("failed to perform proxy handshake with " + transportContext);
                        out.completeExceptionally(new ConnectFailedException(f));
                        return;
                    }
                    ch.pipeline().replace(hs, Connected.HOLD, new HeldBytes(r.rest()));
                    out.complete(new Connected(ch, SourceAddress.socks5(r.boundAddress(), transport)));
                });
                ch.pipeline().addLast("egress-socks5", hs);
            };
            if (s.tls() == null) {
                startSocks.run();
                return out;
            }
            ProxyServerAddress server = ProxyServerAddress.parse(s.server());
            SslHandler ssl = s.tls().newHandler(ch.alloc(), server.host(), server.port());
            ssl.setHandshakeTimeoutMillis(Math.max(1, left));
            ch.pipeline().addLast("egress-tls", ssl);
            ssl.handshakeFuture().addListener(hf -> {
                if (hf.isSuccess()) {
                    startSocks.run();
                } else {
                    out.completeExceptionally(new ConnectFailedException(new ConnectFailure.Other(
                            "failed to perform proxy handshake with " + transportContext + ": TLS handshake failed: "
                                    + rootMessage(hf.cause()))));
                }
            });
            ch.read();
            return out;
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    private static boolean sameFamily(InetAddress a, InetAddress b) {
        return (a instanceof Inet4Address) == (b instanceof Inet4Address);
    }
}
