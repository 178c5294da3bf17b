package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import dev.sluice.net.Tls;
import dev.sluice.net.Transports;
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
    private boolean started;

    /**
     * @param authenticator decides RFC 1929 credentials; null = refuse every username/password (KumoProxy default)
     * @param registry where the {@code proxy_*} metrics are registered (once per registry)
     */
    public ProxyServer(List<ProxyListenerConfig> listeners, Authenticator authenticator, PrometheusRegistry registry) {
        this(listeners, authenticator, new ProxyMetrics(registry));
    }

    public ProxyServer(List<ProxyListenerConfig> listeners, Authenticator authenticator, ProxyMetrics metrics) {
        this.configs = List.copyOf(listeners);
        this.authenticator = authenticator == null ? Authenticator.DENY_ALL : authenticator;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
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
        loops = Transports.newEventLoopGroup(eventLoopThreads());
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
                .channelFactory(Transports.serverChannelFactory(cfg.listen().getAddress()))
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
                        ch.pipeline().addLast(new ListenerInitializer(l));
                    }
                });
        Channel ch = b.bind(cfg.listen()).sync().channel();
        socket.bound(ch);
        serverChannels.add(ch);
        InetSocketAddress addr = (InetSocketAddress) ch.localAddress();
        String label = IpLiterals.format(addr);
        holder.listener = new Listener(cfg, label, new AccessPolicy(cfg), authenticator, metrics, sslContext, sessions, socket);
        log.info(cfg.useTls() ? "proxy listener (TLS) on {}" : "proxy listener on {}", label);
        if (!addr.getAddress().isLoopbackAddress() && !cfg.requireAuth() && cfg.allowedClients() == null) {
            log.warn("proxy listener {} is an open proxy: not loopback, require_auth is off and allowed_clients is not set", label);
        }
        return addr;
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
     * Stops accepting, lets sessions in progress finish for up to {@code grace}, then closes the rest and
     * releases the event loops.
     */
    public synchronized void shutdown(Duration grace) {
        for (Channel ch : serverChannels) {
            ch.close().syncUninterruptibly();
        }
        serverChannels.clear();
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
