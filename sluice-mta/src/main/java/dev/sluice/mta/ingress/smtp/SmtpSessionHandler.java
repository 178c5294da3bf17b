package dev.sluice.mta.ingress.smtp;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one SMTP session: greets (after the PROXY header when one is required), hands each {@link SmtpInput} to
 * the dispatcher or the {@link MessageReceiver}, writes replies in order and carries out their
 * {@link SmtpReply.Action}. While a reply is pending the framer is paused, so pipelined commands are answered in
 * the order they came.
 */
final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSessionHandler.class);

    private final SmtpSession session;
    private final CommandDispatcher dispatcher;
    private final MessageReceiver receiver;
    private final SmtpFramer framer;
    private final SslContext sslContext;
    private final EsmtpListenerConfig config;
    private boolean greeted;
    private boolean busy;
    private boolean closing;

    SmtpSessionHandler(SmtpSession session, CommandDispatcher dispatcher, MessageReceiver receiver, SmtpFramer framer,
                       SslContext sslContext, EsmtpListenerConfig config) {
        this.session = session;
        this.dispatcher = dispatcher;
        this.receiver = receiver;
        this.framer = framer;
        this.sslContext = sslContext;
        this.config = config;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!session.params().requireProxyProtocol()) {
            greet(ctx);
        }
        ctx.fireChannelActive();
    }

    private void greet(ChannelHandlerContext ctx) {
        greeted = true;
        write(ctx, SmtpReply.of(220, null, session.hostname() + " " + session.params().banner()));
        ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        switch (evt) {
            case ProxyHeaderHandler.Proxied p -> {
                var params = config.paramsFor(p.source().getAddress(), p.destination().getAddress());
                session.proxied(p.source(), p.destination(), params);
                framer.lineLimit(params.lineLengthHardLimit());
                greet(ctx);
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
                    session.tlsStarted(ssl.engine().getSession().getProtocol());
                } else {
                    log.debug("TLS handshake with {} failed: {}", session.peer(), done.cause().toString());
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
            return;
        }
        CompletionStage<SmtpReply> reply = switch (input) {
            case SmtpInput.CommandLine line -> dispatcher.dispatch(session, line.line());
            case SmtpInput.LineTooLong tooLong -> Replies.LINE_TOO_LONG.now();
            case SmtpInput.DataEnd end -> receiver.receive(session, end);
        };
        CompletableFuture<SmtpReply> future = reply.toCompletableFuture();
        if (future.isDone()) {
            apply(ctx, future.join());
            return;
        }
        busy = true;
        framer.pause();
        future.whenComplete((r, error) -> ctx.executor().execute(() -> {
            busy = false;
            apply(ctx, error == null ? r : SmtpReply.of(451, "4.3.0", "local error in processing"));
            if (!closing) {
                framer.resume();
            }
            ctx.flush();
        }));
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
            case CLOSE -> {
                closing = true;
                framer.pause();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(reply.encode())).addListener(ChannelFutureListener.CLOSE);
            }
            case START_DATA -> {
                framer.startData(session.params().maxMessageSize(), session.params().invalidLineEndings());
                write(ctx, reply);
            }
            case START_TLS -> {
                // startTls = true: this 220 still goes out in clear; anything the client pipelined after
                // STARTTLS was sent in clear too and is dropped (CVE-2011-0411).
                framer.discardBuffered();
                ctx.pipeline().addFirst("tls", new SslHandler(sslContext.newEngine(ctx.alloc()), true));
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
        log.debug("closing SMTP session {} from {}: {}", session.connectionId(), session.peer(), cause.toString());
        ctx.close();
    }
}
