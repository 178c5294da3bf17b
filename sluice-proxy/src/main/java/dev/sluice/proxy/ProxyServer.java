package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.Tls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SOCKS5 server: one or more listeners sharing one set of event loops, one authenticator and one
 * set of metrics. Start once, shut down once.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final List<ProxyListenerConfig> configs;
    private final Authenticator authenticator;
    private final ProxyMetrics metrics;
    private final SessionRegistry sessions = new SessionRegistry();
    private final List<Channel> serverChannels = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    /** Accepts and relays: one loop per core; a separate accept thread only adds a wakeup per session. */
    private EventLoopGroup loops;
    private ProxyTransport transport;
    private boolean started;

    /**
     * @param authenticator decides RFC 1929 credentials; null = none: clients are not asked for a username/password
     *     (a client offering "no authentication" gets it, one offering only username/password gets 0xFF), and no
     *     listener may set {@code require_auth}
     * @param registry where the {@code proxy_*} metrics are registered (once per registry)
     * @throws IllegalArgumentException a listener sets require_auth but there is no authenticator
     */
    public ProxyServer(List<ProxyListenerConfig> listeners, Authenticator authenticator, PrometheusRegistry registry) {
        this(listeners, authenticator, new ProxyMetrics(registry));
    }

    public ProxyServer(List<ProxyListenerConfig> listeners, Authenticator authenticator, ProxyMetrics metrics) {
        this.configs = List.copyOf(listeners);
        this.authenticator = authenticator;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        for (ProxyListenerConfig cfg : configs) {
            if (cfg.requireAuth() && authenticator == null) {
                throw new IllegalArgumentException("listener " + IpLiterals.format(cfg.listen())
                        + ": require_auth is set but nothing checks the credentials (no proxy_server_auth_rfc1929 handler)");
            }
        }
    }

    /** Before {@link #start}: the transport to use instead of what {@code sluice.proxy.transport} asks for (tests). */
    synchronized ProxyServer transport(ProxyTransport transport) {
        if (started) {
            throw new IllegalStateException("already started");
        }
        this.transport = transport;
        return this;
    }

    /**
     * Binds every listener and returns the bound addresses, in configuration order. On any failure
     * (bind error, bad TLS material) the listeners already bound are closed and the exception propagates.
     */
    public synchronized List<InetSocketAddress> start() throws SSLException, InterruptedException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        if (transport == null) {
            transport = ProxyTransport.configured(configs);
        }
        loops = transport.newEventLoopGroup(eventLoopThreads());
        log.info("proxy transport: {}, {} event loop threads", transport.displayName(), eventLoopThreads());
        try {
            for (ProxyListenerConfig cfg : configs) {
                bound.add(bind(cfg));
            }
        } catch (SSLException | InterruptedException | RuntimeException e) {
            shutdown(Duration.ZERO);
            throw e;
        }
        return List.copyOf(bound);
    }

    private InetSocketAddress bind(ProxyListenerConfig cfg) throws SSLException, InterruptedException {
        SslContext ssl = null;
        if (cfg.useTls()) {
            ssl = cfg.tlsCertificatePem() == null
                    ? Tls.selfSignedServerContext(cfg.hostname())
                    : Tls.serverContext(cfg.tlsCertificatePem(), cfg.tlsPrivateKeyPem());
        }
        ListenerHolder holder = new ListenerHolder();
        ListenerSocket socket = ListenerSocket.forListener(cfg.tcpKeepalive());
        SslContext sslContext = ssl;
        ServerBootstrap b = new ServerBootstrap()
                .group(loops)
                .channelFactory(transport.serverChannelFactory(cfg.listen().getAddress()))
                .handler(ListenerSocket.PIN_ACCEPTED)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // TCP_NODELAY: Netty's epoll and NIO socket channels set it themselves when created
                .childHandler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                    @Override
                    protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                        Listener l = holder.listener;
                        if (l == null) {
                            ch.close(); // accepted in the instant between bind() and its label being known
                            return;
                        }
                        ListenerInitializer.initChannel(l, ch);
                    }
                });
        Channel ch;
        try {
            ch = b.bind(cfg.listen()).sync().channel();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new java.io.UncheckedIOException(dev.sluice.net.StartFailure.listen(cfg.listen(), e));
        }
        socket.bound(ch);
        serverChannels.add(ch);
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetSocketAddress addr = new InetSocketAddress(IpLiterals.unmapV4(local.getAddress()), local.getPort());
        String label = IpLiterals.format(addr);
        // This host's addresses as of now: a destination among them is refused unless allowed_destinations lists it.
        var policy = new AccessPolicy(cfg, HostAddresses.current());
        holder.listener = new Listener(cfg, label, policy, authenticator, metrics, sslContext, sessions, socket);
        log.info(cfg.useTls() ? "proxy listener (TLS) on {}" : "proxy listener on {}", label);
        warnIfOpen(cfg, addr, label);
        return addr;
    }

    /**
     * An open proxy: no auth, no client ACL, and either reachable from other hosts, or (on loopback) widened to reach
     * this host's own services, which every local user then reaches as if from the proxy.
     */
    private static void warnIfOpen(ProxyListenerConfig cfg, InetSocketAddress addr, String label) {
        if (cfg.requireAuth() || cfg.allowedClients() != null) {
            return;
        }
        boolean widened = cfg.allowedDestinations() != null && !cfg.allowedDestinations().isEmpty();
        if (!addr.getAddress().isLoopbackAddress()) {
            log.warn("proxy listener {} is an open proxy: not loopback, require_auth is off and allowed_clients is not set{}",
                    label, widened ? "; allowed_destinations " + cfg.allowedDestinations() + " opens this host's own services to it" : "");
        } else if (widened) {
            log.warn("proxy listener {} is an open proxy into this host: require_auth is off, allowed_clients is not set, "
                    + "and allowed_destinations {} lets every local user reach those services through it", label, cfg.allowedDestinations());
        }
    }

    /**
     * Event loop threads: the number of CPUs (Netty's default of twice that only adds context switches to a relay
     * that spends its time in the kernel); the system property {@code sluice.proxy.threads} overrides it.
     */
    static int eventLoopThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, Integer.getInteger("sluice.proxy.threads", cores));
    }

    /** Set after bind (the label needs the real port); no connection is accepted before bind() returns to us. */
    private static final class ListenerHolder {
        volatile Listener listener;
    }

    /** Bound listener addresses, in configuration order. */
    public synchronized List<InetSocketAddress> boundAddresses() {
        return List.copyOf(bound);
    }

    /** Sessions in progress (handshake or relay). */
    public int activeSessions() {
        return sessions.size();
    }

    /**
     * Stops accepting, ends sessions still in their handshake, lets relays in progress finish for up to
     * {@code grace}, then closes the rest and releases the event loops.
     */
    public synchronized void shutdown(Duration grace) {
        for (Channel ch : serverChannels) {
            ch.close().syncUninterruptibly();
        }
        serverChannels.clear();
        log.info("proxy shutdown: listeners closed; {} session(s) may finish for up to {} s", sessions.size(),
                grace.toSeconds());
        sessions.abortHandshakes("proxy shutting down before the handshake was done");
        long deadline = System.nanoTime() + grace.toNanos();
        while (sessions.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (sessions.size() > 0) {
            log.info("proxy shutdown: closing {} sessions still in progress", sessions.size());
            sessions.abortAll("proxy shutting down");
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            loops = null;
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
