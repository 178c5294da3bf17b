package dev.sluice.egress.smtp;

import io.netty.buffer.ByteBuf;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.trace.SmtpTrace;
import dev.sluice.net.trace.WireTap;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Starts an SMTP session on a channel some Connector already connected (directly or through a proxy).
 *
 * <p>The channel must have an empty pipeline (anything a proxy handshake added removed) and should have
 * {@code AUTO_READ} off until {@code open} is called: bytes read before the client's handlers are installed
 * would be lost. Bytes a proxy handshake read beyond its own reply (the start of the banner) are passed
 * as {@code leftover}. {@code open} turns auto-read on.
 *
 * <p>All futures of this package complete on the channel's event loop: dependent stages must not block.
 */
public final class SmtpClient {
    /**
     * The operator's trace of outgoing SMTP (trace-smtp-client): every session {@link #open}ed while someone
     * subscribes carries a tap on its plain conversation. One per process, as the delivery side is.
     */
    public static final SmtpTrace TRACE = new SmtpTrace();
    static final AttributeKey<SmtpTrace.Session> TRACED = AttributeKey.valueOf("sluice.smtp.trace");
    /** What the dispatcher knows of a connection before its session starts, for the trace's conn_meta. */
    static final AttributeKey<Map<String, Object>> TRACE_META = AttributeKey.valueOf("sluice.smtp.trace.meta");

    private SmtpClient() {}

    public static CompletableFuture<SmtpConnection> open(Channel channel, SmtpClientOptions options) {
        return open(channel, options, null);
    }

    /**
     * Reads the banner, says EHLO (HELO after a 5xx), does STARTTLS as {@code options.enableTls()} says.
     * Fails with {@link SmtpOpenException} (the channel then closed).
     */
    public static CompletableFuture<SmtpConnection> open(Channel channel, SmtpClientOptions options, ByteBuf leftover) {
        CompletableFuture<SmtpConnection> result = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            try {
                tap(channel, options);
                SmtpWire wire = SmtpWire.install(channel);
                new SessionHandshake(wire, options).run().whenComplete((c, e) -> {
                    if (e == null) {
                        c.armIdleTimer();
                        result.complete(c);
                    } else {
                        channel.close();
                        result.completeExceptionally(SessionHandshake.asOpenException(e));
                    }
                });
                wire.feed(leftover); // after run(): the banner expectation is registered
                channel.config().setAutoRead(true);
                channel.read();
            } catch (RuntimeException e) {
                channel.close();
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Properties of the connection known before its session starts (KumoMTA's {@code egress_pool},
     * {@code egress_source}, {@code ready_queue_name}): every traced event of it carries them in its conn_meta, so
     * that a trace filtered on them sees nothing of other connections. Call before {@link #open}.
     */
    public static void traceSession(Channel channel, Map<String, Object> meta) {
        channel.attr(TRACE_META).set(Map.copyOf(meta));
    }

    /**
     * KumoMTA's client conn_meta: what {@link #traceSession} gave, source_address, mx_address, mx_host; then the
     * message's, at each send.
     */
    private static void tap(Channel channel, SmtpClientOptions options) {
        if (!TRACE.active()) {
            return; // nobody traces: no tap, no work
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, Object> known = channel.attr(TRACE_META).get();
        if (known != null) {
            meta.putAll(known);
        }
        if (channel.localAddress() instanceof InetSocketAddress local) {
            meta.put("source_address", IpLiterals.format(local));
        }
        if (channel.remoteAddress() instanceof InetSocketAddress remote) {
            meta.put("mx_address", IpLiterals.format(remote));
        }
        if (options.sniHostName() != null) {
            meta.put("mx_host", options.sniHostName());
        }
        SmtpTrace.Session session = TRACE.open(meta);
        if (session != null) {
            channel.attr(TRACED).set(session);
            channel.pipeline().addLast("smtp-trace", new WireTap(session));
            session.event(new SmtpTrace.Payload.BeginSession());
            session.event(new SmtpTrace.Payload.Connected());
        }
    }

    /** Sets (null: removes) properties of a traced session, shown in its later events' conn_meta. */
    static void traceMeta(Channel channel, Map<String, ?> meta) {
        SmtpTrace.Session session = channel.attr(TRACED).get();
        if (session != null) {
            meta.forEach(session::meta);
        }
    }

    /** The traced session's per-message properties, as KumoMTA sets them when a message is taken. */
    static void traceMessage(Channel channel, Envelope envelope) {
        SmtpTrace.Session session = channel.attr(TRACED).get();
        if (session == null) {
            return;
        }
        session.meta("sender", envelope.sender());
        session.meta("recipient", String.join(", ", envelope.recipients()));
        String first = envelope.recipients().isEmpty() ? "" : envelope.recipients().get(0);
        session.meta("domain", first.substring(first.lastIndexOf('@') + 1).toLowerCase(java.util.Locale.ROOT));
        session.event(new SmtpTrace.Payload.MessageObtained());
    }
}
