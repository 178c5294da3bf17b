package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Bidirectional relay between the client and the destination. Each direction ends when its source reaches EOF:
 * the other side's output is shut down after everything queued has been written; the session ends when both
 * directions are done, or when either socket closes or fails. Bytes move either by user-space copy (with
 * auto-read back-pressure) or, for plain TCP clients with use_splice, by {@link SpliceRelay}.
 */
final class Relay {
    enum Direction {
        CLIENT_TO_DEST("client_to_dest"), DEST_TO_CLIENT("dest_to_client");
        final String label;
        Direction(String label) { this.label = label; }
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Relay.class);
    private final Session session;
    private final Channel client;
    private final Channel dest;
    private final boolean splice;
    private final Side clientSide;
    private final Side destSide;
    private long spliceBaseClient;
    private long spliceBaseDest;
    private boolean ended;

    private Relay(Session session, Channel dest, boolean splice) {
        this.session = session;
        this.client = session.client;
        this.dest = dest;
        this.splice = splice;
        this.clientSide = new Side(Direction.CLIENT_TO_DEST, dest);
        this.destSide = new Side(Direction.DEST_TO_CLIENT, client);
    }

    static Relay create(Session session, Channel dest) {
        boolean tls = session.client.pipeline().get(SslHandler.class) != null;
        boolean splice = session.listener.config().useSplice() && !tls
                && session.client instanceof AbstractEpollStreamChannel && dest instanceof AbstractEpollStreamChannel;
        return new Relay(session, dest, splice);
    }

    /** The handler to install on the client pipeline (it forwards client bytes to the destination). */
    ChannelHandler clientSide() {
        return clientSide;
    }

    void start() {
        session.relayPath = splice ? "splice" : "copy";
        session.relay = this;
        dest.pipeline().addLast(destSide);
        client.closeFuture().addListener(f -> closed());
        dest.closeFuture().addListener(f -> closed());
        if (splice) {
            spliceBaseClient = CountingRecvByteBufAllocator.bytesOf(client);
            spliceBaseDest = CountingRecvByteBufAllocator.bytesOf(dest);
            SpliceRelay.start(client, dest, this::failed);
        }
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
        if (splice) {
            // Netty stops splicing at EOF after one pass, which can leave the tail in the socket; fetch it.
            Channel source = side.direction == Direction.CLIENT_TO_DEST ? client : dest;
            ByteBuf rest = SpliceRelay.drainAfterEof(source);
            if (rest.isReadable()) {
                if (side.direction == Direction.CLIENT_TO_DEST) {
                    session.bytesClientToDest += rest.readableBytes();
                } else {
                    session.bytesDestToClient += rest.readableBytes();
                }
                target.write(rest);
            } else {
                rest.release();
            }
        }
        target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(w -> {
            if (!w.isSuccess()) {
                failed(w.cause());
                return;
            }
            shutdownOutput(target).addListener(s -> {
                side.outputDone = true;
                if (clientSide.outputDone && destSide.outputDone) {
                    end(null);
                }
            });
        });
    }

    private static ChannelFuture shutdownOutput(Channel ch) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl != null) {
            // close_notify first, then the TCP FIN.
            io.netty.channel.ChannelPromise done = ch.newPromise();
            ssl.closeOutbound().addListener(f -> ((DuplexChannel) ch).shutdownOutput().addListener(x -> done.trySuccess()));
            return done;
        }
        return ((DuplexChannel) ch).shutdownOutput();
    }

    void failed(Throwable cause) {
        end(cause);
    }

    private void closed() {
        end(null);
    }

    private void end(Throwable cause) {
        if (ended) {
            return;
        }
        ended = true;
        if (cause != null && !(cause instanceof ClosedChannelException)) {
            log.debug("relay of {} ended by an error", session.client, cause);
        }
        if (splice) {
            session.bytesClientToDest += CountingRecvByteBufAllocator.bytesOf(client) - spliceBaseClient;
            session.bytesDestToClient += CountingRecvByteBufAllocator.bytesOf(dest) - spliceBaseDest;
        }
        ProxyMetrics m = session.listener.metrics();
        String l = session.listener.label();
        m.relayBytes.labelValues(l, session.relayPath, Direction.CLIENT_TO_DEST.label).inc(session.bytesClientToDest);
        m.relayBytes.labelValues(l, session.relayPath, Direction.DEST_TO_CLIENT.label).inc(session.bytesDestToClient);
        client.close();
        dest.close();
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

    /** One direction, installed on its source channel. Copies bytes when not splicing; tracks EOF and errors. */
    private final class Side extends ChannelInboundHandlerAdapter {
        final Direction direction;
        final Channel target;
        boolean inputDone;
        boolean outputDone;

        Side(Direction direction, Channel target) {
            this.direction = direction;
            this.target = target;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            int n = buf.readableBytes();
            if (direction == Direction.CLIENT_TO_DEST) {
                session.bytesClientToDest += n;
            } else {
                session.bytesDestToClient += n;
            }
            target.write(buf).addListener(w -> {
                if (!w.isSuccess()) {
                    failed(w.cause());
                }
            });
            if (!target.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            target.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This channel drained: let the side that writes into it read again.
            if (ctx.channel().isWritable() && !splice) {
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
