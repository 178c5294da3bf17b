package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Bidirectional relay between the client and the destination. Each direction ends when its source reaches EOF:
 * the other side's output is shut down after everything queued has been written; the session ends when both
 * directions are done, or when either socket closes or fails. Bytes move by user-space copy (with auto-read
 * back-pressure); for plain TCP clients with use_splice, a direction that has copied {@link #SPLICE_AFTER_BYTES}
 * switches to splice(2) ({@link SpliceRelay}). Most proxied sessions (SMTP) are short: copying their few KiB costs
 * less than two kernel pipes per session, and a bulk transfer still goes zero-copy after its first 64 KiB.
 */
final class Relay {
    enum Direction {
        CLIENT_TO_DEST("client_to_dest"), DEST_TO_CLIENT("dest_to_client");
        final String label;
        Direction(String label) { this.label = label; }
    }

    /** Bytes a direction copies before it switches to splice (when splicing is possible at all). */
    static final long SPLICE_AFTER_BYTES = 64 * 1024;

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Relay.class);
    private final Session session;
    private final Channel client;
    private final Channel dest;
    private final boolean spliceable;
    /** The client speaks TLS (an SslHandler in its pipeline). */
    private final boolean tls;
    private final Side clientSide;
    private final Side destSide;
    private boolean ended;

    private Relay(Session session, Channel dest, boolean spliceable, boolean tls) {
        this.session = session;
        this.client = session.client;
        this.dest = dest;
        this.spliceable = spliceable;
        this.tls = tls;
        this.clientSide = new Side(Direction.CLIENT_TO_DEST, client, dest);
        this.destSide = new Side(Direction.DEST_TO_CLIENT, dest, client);
        clientSide.other = destSide;
        destSide.other = clientSide;
    }

    static Relay create(Session session, Channel dest) {
        boolean tls = session.client.pipeline().get(SslHandler.class) != null;
        boolean splice = session.listener.config().useSplice() && !tls
                && session.client instanceof AbstractEpollStreamChannel && dest instanceof AbstractEpollStreamChannel;
        return new Relay(session, dest, splice, tls);
    }

    /** The handler to install on the client pipeline (it forwards client bytes to the destination). */
    ChannelHandler clientSide() {
        return clientSide;
    }

    void start() {
        session.relay = this;
        dest.pipeline().addLast(destSide);
        // The client's close reaches closed(client) through the session's own close listener (Session.started).
        dest.closeFuture().addListener(f -> closed(dest));
        dest.flush();
        client.config().setAutoRead(true);
        dest.config().setAutoRead(true);
        // The client may have half-closed during the handshake (request, data, FIN in one go).
        if (client instanceof DuplexChannel d && d.isInputShutdown()) {
            inputDone(clientSide);
        }
    }

    private void inputDone(Side side) {
        if (side.inputDone) {
            return;
        }
        side.inputDone = true;
        Channel target = side.target;
        if (side.spliced) {
            // Netty stops splicing at EOF after one pass, which can leave the tail in the socket; fetch it.
            ByteBuf rest = SpliceRelay.drainAfterEof(side.source);
            if (rest.isReadable()) {
                side.copied += rest.readableBytes();
                target.write(rest);
            } else {
                rest.release();
            }
        }
        if (nothingPending(target)) {
            // Everything relayed has been written: no empty write, promise and listener to learn that.
            outputFlushed(side);
            return;
        }
        target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(w -> {
            if (!w.isSuccess()) {
                failed(w.cause());
                return;
            }
            outputFlushed(side);
        });
    }

    /**
     * True when {@code ch} is open and holds no bytes still to be written, flushed or not. A TLS client is always
     * flushed through its SslHandler (which may hold bytes of its own).
     */
    private boolean nothingPending(Channel ch) {
        if (tls && ch == client) {
            return false;
        }
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return ch.isActive() && out != null && out.isEmpty() && out.totalPendingWriteBytes() == 0;
    }

    /** Everything {@code side} read has reached its target: shut the target's output down (or end, if both are done). */
    private void outputFlushed(Side side) {
        side.outputDone = true;
        if (side.other.outputDone) {
            // Both directions are done: closing sends the last FIN without a separate shutdown.
            end(null);
            return;
        }
        shutdownOutput(side.target).addListener(s -> {
            if (!s.isSuccess()) {
                failed(s.cause());
                return;
            }
            closeAtEof(side.other);
        });
    }

    /**
     * Half-closes {@code ch}. On epoll and io_uring the socket is shut down directly: everything queued has been
     * written (the caller waited for its flush) and nothing more will be, so Netty's shutdownOutput, which builds an
     * exception with a stack trace to fail queued writes, has nothing to do but cost.
     */
    private static ChannelFuture shutdownOutput(Channel ch) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl != null) {
            // close_notify first, then the TCP FIN.
            io.netty.channel.ChannelPromise done = ch.newPromise();
            ssl.closeOutbound().addListener(f -> ((DuplexChannel) ch).shutdownOutput().addListener(x -> done.trySuccess()));
            return done;
        }
        if (nativeStream(ch) && ch instanceof DuplexChannel e && ((UnixChannel) ch).fd() instanceof Socket socket) {
            if (!e.isOpen()) {
                return ch.newFailedFuture(CLOSED);
            }
            try {
                if (!e.isOutputShutdown()) {
                    socket.shutdown(false, true);
                }
                return ch.newSucceededFuture();
            } catch (IOException ex) {
                return ch.newFailedFuture(ex);
            }
        }
        return ((DuplexChannel) ch).shutdownOutput();
    }

    /** A TCP socket of the native transports (epoll, io_uring), whose socket Relay may shut down itself. */
    private static boolean nativeStream(Channel ch) {
        return ch instanceof AbstractEpollStreamChannel || ch instanceof IoUringSocketChannel;
    }

    /** Shared and stackless: a closed channel is an ordinary end, not worth a stack walk. */
    private static final ClosedChannelException CLOSED = io.netty.channel.StacklessClosedChannelException.newInstance(
            Relay.class, "shutdownOutput");

    void failed(Throwable cause) {
        end(cause);
    }

    /**
     * {@code ch} closed. If that is the EOF {@link #closeAtEof} arranged for, its direction ends as at an input
     * shutdown: what it sent is flushed to the other side, then the relay ends. Otherwise the relay ends now.
     */
    void closed(Channel ch) {
        if (ended) {
            return;
        }
        Side reader = ch == client ? clientSide : destSide;
        if (reader.closesAtEof && !reader.inputDone) {
            inputDone(reader);
            return;
        }
        end(null);
    }

    /**
     * The output of {@code reader}'s source has been shut down, so its EOF can only end the session. Without
     * half-closure Netty closes the channel at that EOF instead of shutting its input down, which on a socket closed
     * both ways is a shutdown(2) failing with ENOTCONN and a NotYetConnectedException with a stack trace, per
     * session; {@link #closed} then finishes the direction. Plain epoll and io_uring sockets only (TLS ends with close_notify),
     * and not while splicing, whose tail is fetched from the socket after EOF ({@link Side#startSplice} restores it).
     */
    private void closeAtEof(Side reader) {
        Channel ch = reader.source;
        if (reader.inputDone || reader.spliced || !ch.isOpen() || !nativeStream(ch)
                || ch.pipeline().get(SslHandler.class) != null) {
            return;
        }
        reader.closesAtEof = true;
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
    }

    private void end(Throwable cause) {
        if (ended) {
            return;
        }
        ended = true;
        if (cause != null && !(cause instanceof ClosedChannelException)) {
            log.debug("relay of {} ended by an error", session.client, cause);
        }
        clientSide.account();
        destSide.account();
        session.bytesClientToDest = clientSide.copied + clientSide.splicedBytes();
        session.bytesDestToClient = destSide.copied + destSide.splicedBytes();
        session.relayPath = clientSide.spliced || destSide.spliced ? "splice" : "copy";
        count(clientSide);
        count(destSide);
        // close() on a closed channel still builds its exception: skip the ones already closed.
        if (client.isOpen()) {
            client.close();
        }
        if (dest.isOpen()) {
            dest.close();
        }
        if (cause == null || cause instanceof ClosedChannelException) {
            session.finish(new SessionOutcome.Relayed());
        } else {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            session.finish(new SessionOutcome.Failed("relay I/O error: " + cause + (root != cause ? " (cause: " + root + ")" : "")));
        }
    }

    private void count(Side s) {
        int d = s.direction.ordinal();
        if (s.copied > 0 || !s.spliced) {
            session.metrics.copied[d].inc(s.copied);
        }
        if (s.spliced) {
            session.metrics.spliced(s.direction).inc(s.splicedBytes());
        }
    }

    /** One direction, installed on its source channel. Copies bytes until it splices; tracks EOF and errors. */
    private final class Side extends ChannelInboundHandlerAdapter {
        final Direction direction;
        final Channel source;
        final Channel target;
        Side other;
        boolean inputDone;
        boolean outputDone;
        /** Half-closure is off on the source: its EOF closes it ({@link #closeAtEof}). */
        boolean closesAtEof;
        /** Bytes moved through user space (before splicing, pipelined handshake bytes, the tail after EOF). */
        long copied;
        boolean spliced;
        /** The source's read count when splicing started, and when the relay ended. */
        private long spliceBase;
        private long spliceEnd;

        Side(Direction direction, Channel source, Channel target) {
            this.direction = direction;
            this.source = source;
            this.target = target;
        }

        long splicedBytes() {
            return spliced ? spliceEnd - spliceBase : 0;
        }

        void account() {
            if (spliced) {
                spliceEnd = CountingRecvByteBufAllocator.bytesOf(source);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            copied += buf.readableBytes();
            // No promise or listener per write: a failed write fires exceptionCaught on the target's pipeline,
            // where the other Side fails the relay (its exceptionCaught below).
            target.write(buf, target.voidPromise());
            if (spliceable && !spliced && copied >= SPLICE_AFTER_BYTES && !ended && source.isActive() && target.isActive()) {
                startSplice();
                return;
            }
            if (!target.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        /**
         * From here on the epoll transport splices this direction: its read loop serves the splice before reading
         * into buffers again, and the splice writes queue behind the bytes copied so far, so order is kept. Netty
         * paces a splicing source itself (auto-read off while a splice-out is pending).
         */
        private void startSplice() {
            spliced = true;
            if (closesAtEof) {
                closesAtEof = false;
                source.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            }
            spliceBase = CountingRecvByteBufAllocator.bytesOf(source);
            SpliceRelay.start(source, target, Relay.this::failed);
            source.config().setAutoRead(true);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            target.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This channel drained: let the side that writes into it read again (unless that side splices).
            if (ctx.channel().isWritable() && !other.spliced) {
                target.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
                inputDone(this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(cause instanceof IOException ? cause : new IOException(cause));
        }
    }
}
