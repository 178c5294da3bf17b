package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.Injector;
import dev.sluice.net.Tls;
import dev.sluice.net.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ESMTP listener. {@link #start()} binds (port 0 takes a free port), logs {@code esmtp listener on ADDR} and
 * returns the bound address; {@link #stopAccepting()} closes the listening socket and lets sessions finish;
 * {@link #close()} closes everything.
 *
 * <p>Per connection the pipeline is: [PROXY decoder + {@link ProxyHeaderHandler}] → idle timeout →
 * {@link SmtpFramer} → {@link SmtpSessionHandler} (command and data deadlines, the per-client-address limit);
 * STARTTLS puts an SslHandler in front.
 */
public final class EsmtpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EsmtpServer.class);

    private final EsmtpListenerConfig config;
    private final EsmtpServices services;
    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong connectionCounter = new AtomicLong();
    private final ChannelGroup sessions = new DefaultChannelGroup("esmtp-sessions", GlobalEventExecutor.INSTANCE);
    private final MessageReceiver receiver = new MessageReceiver();
    private final ClientConnectionCounts connectionCounts = new ClientConnectionCounts();
    private volatile dev.sluice.net.trace.SmtpTrace trace = new dev.sluice.net.trace.SmtpTrace();
    private CommandDispatcher dispatcher;
    // a configured certificate is loaded at start (a bad one stops the start); without one, the self-signed
    // certificate is made on its own thread once the listener accepts (key generation is a fixed start-up cost that
    // the 220 need not wait for); a STARTTLS in the first moments waits for it
    private java.util.concurrent.CompletableFuture<SslContext> sslContext;
    private Channel serverChannel;
    private String listenerName; // the bound address as smtp_server_get_dynamic_parameters sees it

    /** A server with its own event loop threads. */
    public EsmtpServer(EsmtpListenerConfig config, Injector injector, RelayPolicy relayPolicy, Admission admission) {
        this(config, injector, relayPolicy, admission, SmtpEvents.NONE);
    }

    /** A server with its own event loop threads whose sessions fire {@code events}. */
    public EsmtpServer(EsmtpListenerConfig config, Injector injector, RelayPolicy relayPolicy, Admission admission,
                       SmtpEvents events) {
        this(config, new EsmtpServices(injector, relayPolicy, admission, Clock.systemDefaultZone(), events), null);
    }

    /** @param group event loops to share, or null for the server's own (closed with it) */
    public EsmtpServer(EsmtpListenerConfig config, EsmtpServices services, EventLoopGroup group) {
        this.config = config;
        this.services = services;
        this.ownGroup = group == null;
        this.group = group != null ? group
                : Transports.newEventLoopGroup(0, new DefaultThreadFactory("esmtp", true));
    }

    /** Binds and starts accepting. @return the real bound address */
    public synchronized InetSocketAddress start() throws IOException, InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        if (config.tlsCertificatePem() != null) {
            sslContext = java.util.concurrent.CompletableFuture.completedFuture(
                    Tls.serverContext(config.tlsCertificatePem(), config.tlsPrivateKeyPem()));
        } else {
            sslContext = new java.util.concurrent.CompletableFuture<>();
            Thread.ofPlatform().name("esmtp-self-signed").daemon().start(() -> {
                try {
                    sslContext.complete(Tls.selfSignedServerContext(config.params().hostname()));
                } catch (Exception | Error e) {
                    log.error("esmtp listener: cannot make a self-signed certificate for STARTTLS: {}", e.toString());
                    sslContext.completeExceptionally(e);
                }
            });
        }
        dispatcher = CommandDispatcher.standard(true);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channelFactory(Transports.serverChannelFactory(config.listen().getAddress()))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initSession(ch);
                    }
                });
        try {
            serverChannel = b.bind(config.listen()).sync().channel();
        } catch (Exception e) {
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            throw dev.sluice.net.StartFailure.listen(config.listen(), e);
        }
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        listenerName = dev.sluice.net.IpLiterals.format(bound);
        log.info("esmtp listener on {}", listenerName); // [::]:25, not Java's [0:0:0:0:0:0:0:0]:25
        return bound;
    }

    private void initSession(SocketChannel ch) {
        int now = active.incrementAndGet();
        ch.closeFuture().addListener(f -> active.decrementAndGet());
        if (now > config.maxConnections()) {
            ch.pipeline().addLast(new TooManySessionsHandler(config.params().hostname()));
            return;
        }
        sessions.add(ch);
        InetSocketAddress peer = ch.remoteAddress();
        InetSocketAddress local = ch.localAddress();
        EsmtpParams params = config.paramsFor(peer.getAddress(), local.getAddress());
        var session = new SmtpSession(Long.toString(connectionCounter.incrementAndGet(), 36), services, params, peer,
                local);
        session.repin(); // the connection's events run the policy version current now
        ch.closeFuture().addListener(f -> session.closed());
        SmtpFramer framer = new SmtpFramer(params.lineLengthHardLimit());
        if (params.requireProxyProtocol()) {
            ch.pipeline().addLast("proxy-decoder", new HAProxyMessageDecoder());
            ch.pipeline().addLast("proxy-header", new ProxyHeaderHandler());
        }
        ch.pipeline().addLast("idle", new IdleStateHandler(params.clientTimeout().toMillis(), 0, 0,
                TimeUnit.MILLISECONDS));
        tap(ch, peer, local);
        ch.pipeline().addLast("framer", framer);
        ch.pipeline().addLast("session", new SmtpSessionHandler(session, dispatcher, receiver, framer, sslContext::join,
                config, connectionCounts, listenerName));
    }

    /**
     * The operator's trace of this listener's sessions (trace-smtp-server): shared by the listeners of one MTA
     * so that one subscription sees them all. Set before {@link #start}.
     */
    public EsmtpServer trace(dev.sluice.net.trace.SmtpTrace trace) {
        this.trace = java.util.Objects.requireNonNull(trace, "trace");
        return this;
    }

    /** While someone traces: a tap on the plain conversation (TLS handlers go in front of it), KumoMTA's conn_meta. */
    private void tap(SocketChannel ch, InetSocketAddress peer, InetSocketAddress local) {
        var session = trace.open(java.util.Map.of(
                "received_from", dev.sluice.net.IpLiterals.format(peer),
                "received_via", dev.sluice.net.IpLiterals.format(local)));
        if (session != null) {
            ch.pipeline().addLast("trace", new dev.sluice.net.trace.WireTap(session));
            session.event(new dev.sluice.net.trace.SmtpTrace.Payload.Connected());
        }
    }

    /** Sessions open right now. */
    public int activeConnections() {
        return active.get();
    }

    /** Sessions counted against max_connections_per_ip for {@code client} right now. */
    public int connectionsFrom(InetAddress client) {
        return connectionCounts.openFrom(client);
    }

    /** Messages received whose reply waits for the injector (SIGTERM drain waits for this to reach 0). */
    public int transactionsInFlight() {
        return receiver.inFlight();
    }

    /** The address bound by {@link #start()}, null before. */
    public synchronized InetSocketAddress address() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    /** Closes the listening socket; sessions already open carry on (SIGTERM drain). */
    public synchronized void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
    }

    /** Same as {@link #close()}. */
    public void stop() {
        close();
    }

    /** Closes the listener and every session, and the event loops if they are the server's own. */
    @Override
    public synchronized void close() {
        stopAccepting();
        sessions.close().awaitUninterruptibly();
        if (ownGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
