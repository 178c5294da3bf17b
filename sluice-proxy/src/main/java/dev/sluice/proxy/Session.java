package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * State of one client connection: BIND-then-CONNECT progress, identities, byte counts, and the single place
 * where a session ends (metrics + one log line). Confined to the client channel's event loop.
 */
final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    enum State { NONE, BOUND, CONNECTED }

    final Listener listener;
    final Channel client;
    final StepTimer timer;
    /** This listener's data points, looked up once. */
    final ProxyMetrics.OfListener metrics;
    private final long startNanos = System.nanoTime();
    List<String> identities = List.of();
    State state = State.NONE;
    /** Outbound socket, pre-bound by BIND or created by CONNECT. */
    Channel outbound;
    InetSocketAddress boundSource;
    /** Gives back the session's source_limits slots; set once the BIND source is admitted. */
    Runnable releaseSource;
    InetSocketAddress destination;
    /** {@link #destination} as text, formatted once for the phase, the metric label and the log line. */
    String destinationText;
    long bytesClientToDest;
    long bytesDestToClient;
    String relayPath = "-";
    /** Set once CONNECT succeeded; from then on the relay decides how the session ends. */
    Relay relay;
    /** What the handshake is at, for the log line of a client that closes: "the greeting", "CONNECT 1.2.3.4:25", ... */
    String phase = "the greeting";
    private boolean finished;

    Session(Listener listener, Channel client) {
        this.listener = listener;
        this.client = client;
        this.timer = new StepTimer(client.eventLoop(), listener.config().timeout());
        this.metrics = listener.metrics().of(listener.label());
    }

    /** Counted once the client is really a SOCKS client (after TLS on TLS listeners). */
    void started() {
        listener.sessions().add(this);
        metrics.accepted.inc();
        metrics.active.inc();
        client.closeFuture().addListener(f -> {
            if (relay == null) {
                finish(new SessionOutcome.ClosedByClient(phase)); // no-op when we closed it (the session ended first)
            } else {
                relay.closed(client);
            }
        });
    }

    String identityText() {
        return identities.isEmpty() ? "-" : String.join(",", identities);
    }

    /** Sends a failure reply (IPv4 0.0.0.0:0), then closes: one failure ends the session. */
    void refuse(Socks5CommandStatus status, String reason) {
        if (finished) {
            return;
        }
        // finish first: the write may complete, and the close fire, before writeAndFlush returns
        finish(new SessionOutcome.Refused(status, reason));
        client.writeAndFlush(SocksReplies.failure(status))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes without a reply (or after a reply the caller already wrote). */
    void fail(String reason) {
        if (finished) {
            return;
        }
        finish(new SessionOutcome.Failed(reason));
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The client closed its side during the handshake: nothing more will come from it, so the session ends now
     * instead of holding the socket (in CLOSE-WAIT) until the step timeout.
     */
    void clientClosed() {
        if (finished) {
            return;
        }
        finish(new SessionOutcome.ClosedByClient(phase));
        client.close();
    }

    /** Shutdown: close whatever is left. */
    void abort(String reason) {
        client.eventLoop().execute(() -> {
            finish(new SessionOutcome.Failed(reason));
            client.close();
        });
    }

    /** Shutdown: a session still in its handshake ends now (relays may finish within the grace). */
    void abortHandshake(String reason) {
        client.eventLoop().execute(() -> {
            if (relay == null && !finished) {
                finish(new SessionOutcome.Failed(reason));
                client.close();
            }
        });
    }

    boolean finished() {
        return finished;
    }

    /** Ends the session exactly once: metrics, its one log line (with the reason), and closing the outbound socket. */
    void finish(SessionOutcome outcome) {
        if (finished) {
            return;
        }
        finished = true;
        timer.cancel();
        // close() builds an exception even on a closed channel: the relay usually closed both already.
        if (outbound != null && outbound.isOpen()) {
            outbound.close();
        }
        if (outcome instanceof SessionOutcome.Relayed && client.isOpen()) {
            client.close();
        }
        metrics.active.dec();
        (outcome.completed() ? metrics.completed : metrics.failed).inc();
        if (bytesClientToDest > 0) {
            metrics.bytesClientToDest.inc(bytesClientToDest);
        }
        if (bytesDestToClient > 0) {
            metrics.bytesDestToClient.inc(bytesDestToClient);
        }
        if (releaseSource != null) {
            releaseSource.run();
        }
        listener.sessions().remove(this);
        if (log.isInfoEnabled()) {
            log.info(logLine(outcome, (System.nanoTime() - startNanos) / 1_000_000));
        }
    }

    /**
     * The session's one log line, built directly: no argument array, boxing or placeholder scan per session, and
     * nothing at all formatted when INFO is off.
     */
    private String logLine(SessionOutcome outcome, long ms) {
        StringBuilder line = new StringBuilder(256).append("proxy session client=");
        appendAddress(line, remote()).append(" identity=").append(identityText()).append(" source=");
        return appendAddress(line, boundSource).append(" destination=")
                .append(destinationText != null ? destinationText : IpLiterals.format(destination))
                .append(" bytes_client_to_dest=").append(bytesClientToDest)
                .append(" bytes_dest_to_client=").append(bytesDestToClient)
                .append(" relay=").append(relayPath)
                .append(" duration_ms=").append(ms)
                .append(" outcome=").append(outcome).toString();
    }

    /**
     * {@code a} as {@link IpLiterals#format(InetSocketAddress)} prints it; an IPv4 address (the usual case) is written
     * digit by digit into the line, without the intermediate strings of the host text and the "host:port" concatenation.
     */
    static StringBuilder appendAddress(StringBuilder line, InetSocketAddress a) {
        if (a == null || !(a.getAddress() instanceof Inet4Address ip)) {
            return line.append(IpLiterals.format(a));
        }
        byte[] b = ip.getAddress();
        return line.append(b[0] & 0xff).append('.').append(b[1] & 0xff).append('.').append(b[2] & 0xff).append('.')
                .append(b[3] & 0xff).append(':').append(a.getPort());
    }

    InetSocketAddress remote() {
        return client.remoteAddress() instanceof InetSocketAddress a ? a : null;
    }
}
