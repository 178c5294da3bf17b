package dev.sluice.mta.ingress.smtp;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one SMTP session: greets (after the PROXY header when one is required), hands each {@link SmtpInput} to
 * the dispatcher or the {@link MessageReceiver}, writes replies in order and carries out their
 * {@link SmtpReply.Action}. While a reply is pending the framer is paused, so pipelined commands are answered in
 * the order they came.
 *
 * <p>Besides the per-read idle timeout, a whole command line must arrive within {@code command_deadline} and the
 * whole message data within {@code data_deadline}, counted from when the server starts waiting for them, so a
 * client cannot hold a session by trickling a byte at a time; then {@code 421 4.4.2 <host> Error: timeout
 * exceeded} and close (Postfix's reply). Before the banner, a client address over {@code max_connections_per_ip}
 * gets {@code 421 4.7.0 <host> Error: too many connections from <ip>} instead.
 */
final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSessionHandler.class);

    private final SmtpSession session;
    private final CommandDispatcher dispatcher;
    private final MessageReceiver receiver;
    private final SmtpFramer framer;
    private final java.util.function.Supplier<SslContext> sslContext; // STARTTLS's, null without
    private final EsmtpListenerConfig config;
    private final ClientConnectionCounts connectionCounts;
    private final String listener;
    private boolean greeted;
    private boolean busy;
    private boolean closing;
    /** Reading message data: the data deadline applies instead of the command deadline. */
    private boolean inData;

    // The deadline of the input awaited now. One timer at a time: moving the deadline on is a field write, and the
    // timer, when it fires early, sleeps again until the deadline in force then (as IdleStateHandler does).
    private boolean awaiting;
    private long deadlineNanos;
    private Duration awaitedLimit;
    private ScheduledFuture<?> timer;
    private long timerNanos;

    SmtpSessionHandler(SmtpSession session, CommandDispatcher dispatcher, MessageReceiver receiver, SmtpFramer framer,
                       java.util.function.Supplier<SslContext> sslContext, EsmtpListenerConfig config, ClientConnectionCounts connectionCounts,
                       String listener) {
        this.session = session;
        this.dispatcher = dispatcher;
        this.receiver = receiver;
        this.framer = framer;
        this.sslContext = sslContext;
        this.config = config;
        this.connectionCounts = connectionCounts;
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!session.params().requireProxyProtocol()) {
            prepare(ctx);
        } else {
            awaitInput(ctx, session.params().commandDeadline()); // the PROXY header is bounded like a command
        }
        ctx.fireChannelActive();
    }

    /**
     * The policy's {@code smtp_server_get_dynamic_parameters(listener, conn_meta)} first (what it returns overrides
     * listener parameters for this connection), then the banner. Input waits in the paused framer meanwhile. A
     * handler that fails, returns a table with a bad key, or rejects ends the session before the banner (with its
     * reply, or {@code 421 4.3.0}): running it on parameters the policy meant to change could relay what it meant to
     * refuse.
     */
    private void prepare(ChannelHandlerContext ctx) {
        var event = session.services().events().dynamicParameters(listener, session.meta()).toCompletableFuture();
        if (event.isDone() && !event.isCompletedExceptionally()) {
            configure(ctx, event.join());
            return;
        }
        framer.pause();
        event.whenComplete((outcome, error) -> ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            configure(ctx, error != null ? new SmtpEvents.Outcome.Failed(error.toString()) : outcome);
            if (greeted) {
                framer.resume();
            }
            ctx.flush();
        }));
    }

    private void configure(ChannelHandlerContext ctx, SmtpEvents.Outcome outcome) {
        String refusal = switch (outcome) {
            case SmtpEvents.Outcome.Passed p when p.value() == null -> null;
            case SmtpEvents.Outcome.Passed p -> {
                try {
                    EsmtpParams params = EsmtpListenerParser.withDynamic(config, p.value())
                            .paramsFor(session.peer().getAddress(), session.local().getAddress());
                    session.reconfigure(params);
                    framer.lineLimit(params.lineLengthHardLimit());
                    yield null;
                } catch (IllegalArgumentException e) {
                    yield e.getMessage();
                }
            }
            case SmtpEvents.Outcome.Rejected r -> {
                close(ctx, r.reply().then(SmtpReply.Action.CLOSE));
                yield "";
            }
            case SmtpEvents.Outcome.Failed f -> f.reason();
        };
        if (refusal == null) {
            greet(ctx);
        } else if (!refusal.isEmpty()) {
            log.warn("smtp_server_get_dynamic_parameters for SMTP session {} from {} failed: {}",
                    session.connectionId(), session.peer(), refusal);
            close(ctx, SmtpReply.of(421, "4.3.0", session.hostname() + " error in policy, try again later"));
        }
    }

    private void greet(ChannelHandlerContext ctx) {
        greeted = true;
        InetAddress client = session.peer().getAddress();
        EsmtpParams params = session.params();
        if (!params.relayHosts().contains(client)) {
            if (!connectionCounts.tryOpen(client, params.maxConnectionsPerIp())) {
                log.info("refusing SMTP session {} from {}: more than max_connections_per_ip = {} from this address",
                        session.connectionId(), session.peer(), params.maxConnectionsPerIp());
                close(ctx, SmtpReply.of(421, "4.7.0", session.hostname() + " Error: too many connections from "
                        + client.getHostAddress()));
                return;
            }
            ctx.channel().closeFuture().addListener(f -> connectionCounts.close(client));
        }
        write(ctx, SmtpReply.of(220, null, session.hostname() + " " + params.banner()));
        ctx.flush();
        awaitInput(ctx, params.commandDeadline());
    }

    /** Writes the reply and closes; nothing the client sends afterwards is looked at. */
    private void close(ChannelHandlerContext ctx, SmtpReply reply) {
        closing = true;
        awaiting = false;
        framer.pause();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(reply.encode())).addListener(ChannelFutureListener.CLOSE);
    }

    /** The server waits for the next command (or the message data): it must be complete within {@code limit}. */
    private void awaitInput(ChannelHandlerContext ctx, Duration limit) {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        awaiting = true;
        awaitedLimit = limit;
        deadlineNanos = now + limit.toNanos();
        if (timer == null || timerNanos - deadlineNanos > 0) {
            cancelTimer();
            schedule(ctx, now);
        }
    }

    private void schedule(ChannelHandlerContext ctx, long now) {
        timerNanos = deadlineNanos;
        timer = ctx.executor().schedule(() -> onTimer(ctx), deadlineNanos - now, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** A closed session leaves no timer behind (it would hold the pipeline until the deadline). */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    private void onTimer(ChannelHandlerContext ctx) {
        timer = null;
        if (!awaiting || closing || !ctx.channel().isActive()) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        if (deadlineNanos - now > 0) {
            schedule(ctx, now);
            return;
        }
        if (!greeted) {
            log.debug("no PROXY header from {} within {} ms", dev.sluice.net.IpLiterals.format(session.peer()), awaitedLimit.toMillis());
            closing = true;
            ctx.close(); // as for a missing header: drop without a word
            return;
        }
        log.info("closing SMTP session {} from {}: {} not complete within {} ms ({})", session.connectionId(),
                session.peer(), inData ? "message data" : "command line", awaitedLimit.toMillis(),
                inData ? "data_deadline" : "command_deadline");
        close(ctx, SmtpReply.of(421, "4.4.2", session.hostname() + " Error: timeout exceeded"));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        switch (evt) {
            case ProxyHeaderHandler.Proxied p -> {
                var params = config.paramsFor(p.source().getAddress(), p.destination().getAddress());
                session.proxied(p.source(), p.destination(), params);
                framer.lineLimit(params.lineLengthHardLimit());
                prepare(ctx);
            }
            case IdleStateEvent idle -> {
                if (!greeted) {
                    ctx.close(); // no PROXY header in time: drop without a word
                } else if (!busy && !closing) {
                    closing = true;
                    String text = session.hostname() + " timeout waiting for client";
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(SmtpReply.of(421, "4.4.2", text).encode()))
                            .addListener(ChannelFutureListener.CLOSE);
                }
            }
            case SslHandshakeCompletionEvent done -> {
                if (done.isSuccess()) {
                    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                    var tlsSession = ssl.engine().getSession();
                    session.tlsStarted(tlsSession.getProtocol(), tlsSession.getCipherSuite());
                } else {
                    log.debug("TLS handshake with {} failed: {}", dev.sluice.net.IpLiterals.format(session.peer()), done.cause().toString());
                    ctx.close();
                }
            }
            default -> ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof SmtpInput input)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing || !greeted) {
            if (input instanceof SmtpInput.DataEnd end && end.spilled() != null) {
                end.spilled().file().close();
            }
            return;
        }
        awaiting = false;
        if (input instanceof SmtpInput.DataEnd) {
            inData = false;
        }
        CompletionStage<SmtpReply> reply = switch (input) {
            case SmtpInput.CommandLine line -> dispatcher.dispatch(session, line.line());
            case SmtpInput.LineTooLong tooLong -> Replies.LINE_TOO_LONG.now();
            case SmtpInput.DataEnd end -> receiver.receive(session, end);
        };
        CompletableFuture<SmtpReply> future = reply.toCompletableFuture();
        if (future.isDone()) {
            apply(ctx, future.join());
            awaitNext(ctx);
            return;
        }
        busy = true;
        framer.pause();
        future.whenComplete((r, error) -> ctx.executor().execute(() -> {
            busy = false;
            apply(ctx, error == null ? r : SmtpReply.of(451, "4.3.0", "local error in processing"));
            awaitNext(ctx);
            if (!closing) {
                framer.resume();
            }
            ctx.flush();
        }));
    }

    private void awaitNext(ChannelHandlerContext ctx) {
        awaitInput(ctx, inData ? session.params().dataDeadline() : session.params().commandDeadline());
    }

    /** Replies to pipelined commands go out together, in one flush per read. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void apply(ChannelHandlerContext ctx, SmtpReply reply) {
        switch (reply.action()) {
            case CONTINUE -> write(ctx, reply);
            case CLOSE -> close(ctx, reply);
            case START_DATA -> {
                inData = true;
                framer.startData(session.params().maxMessageSize(), session.params().invalidLineEndings(),
                        session.services().spillDirectory());
                write(ctx, reply);
            }
            case START_TLS -> {
                // startTls = true: this 220 still goes out in clear; anything the client pipelined after
                // STARTTLS was sent in clear too and is dropped (CVE-2011-0411).
                framer.discardBuffered();
                ctx.pipeline().addFirst("tls", new SslHandler(sslContext.get().newEngine(ctx.alloc()), true));
                write(ctx, reply);
                ctx.flush();
            }
        }
    }

    /** Queues the reply; flushed at the end of the read, or at once by the asynchronous path. */
    private void write(ChannelHandlerContext ctx, SmtpReply reply) {
        ctx.write(Unpooled.wrappedBuffer(reply.encode()));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing SMTP session {} from {}: {}", session.connectionId(), dev.sluice.net.IpLiterals.format(session.peer()), cause.toString());
        ctx.close();
    }
}
