package dev.sluice.proxy;

import dev.sluice.net.TcpKeepalive;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.Socket;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket of an epoll listener, set up so that accepted sockets cost fewer system calls: Linux copies
 * a listening socket's keepalive settings (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT) into every socket it accepts, so
 * they are set once here instead of four setsockopt calls per client; and {@link #PIN_ACCEPTED} gives each accepted channel
 * its EPOLLERR pin ({@link EpollInterestGuard}) before registration, where it costs no epoll_ctl.
 *
 * <p>The first accepted socket of a listener is checked: if it did not inherit the settings (another kernel, the
 * reflective setters gone), every client socket gets them set directly, as before.
 */
final class ListenerSocket {
    private static final Logger log = LoggerFactory.getLogger(ListenerSocket.class);
    private static final Method[] KEEPALIVE_SETTERS = find();

    private final TcpKeepalive keepalive;
    /** null until the first accepted socket was checked; then whether accepted sockets carry the settings. */
    private volatile Boolean inherited;
    private boolean setOnListener;

    private ListenerSocket(TcpKeepalive keepalive) {
        this.keepalive = keepalive;
    }

    /** For a listener whose accepted sockets get keepalive set one by one (NIO, or tests without a socket). */
    static ListenerSocket perSocket(TcpKeepalive keepalive) {
        ListenerSocket s = new ListenerSocket(keepalive);
        s.inherited = false;
        return s;
    }

    static ListenerSocket forListener(TcpKeepalive keepalive) {
        return new ListenerSocket(keepalive);
    }

    /**
     * Goes on the listening channel's pipeline, ahead of Netty's acceptor: it sees each accepted channel before
     * it is registered, when pinning EPOLLERR (and EPOLLIN, which auto-read would ask for next) costs no epoll_ctl.
     */
    static final ChannelHandler PIN_ACCEPTED = new PinAccepted();

    @ChannelHandler.Sharable
    private static final class PinAccepted extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                EpollInterestGuard.pinReading(child);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** After bind: put the keepalive settings on the listening socket itself. */
    void bound(Channel server) {
        if (inherited != null) {
            return;
        }
        if (!keepalive.enabled()) {
            inherited = true; // nothing to set on either socket
            return;
        }
        if (server instanceof IoUringServerSocketChannel) {
            try {
                var c = server.config();
                c.setOption(SO_KEEPALIVE, 1);
                c.setOption(TCP_KEEPIDLE, (int) keepalive.time().toSeconds());
                c.setOption(TCP_KEEPINTVL, (int) keepalive.interval().toSeconds());
                c.setOption(TCP_KEEPCNT, keepalive.retries());
                setOnListener = true;
                return;
            } catch (RuntimeException ex) {
                log.debug("keepalive on the listening socket failed; setting it per client socket", ex);
            }
        } else if (KEEPALIVE_SETTERS != null && server instanceof EpollServerSocketChannel e && e.fd() instanceof Socket s) {
            try {
                s.setKeepAlive(true);
                KEEPALIVE_SETTERS[0].invoke(s, (int) keepalive.time().toSeconds());
                KEEPALIVE_SETTERS[1].invoke(s, (int) keepalive.interval().toSeconds());
                KEEPALIVE_SETTERS[2].invoke(s, keepalive.retries());
                setOnListener = true;
                return;
            } catch (ReflectiveOperationException | java.io.IOException | RuntimeException ex) {
                log.debug("keepalive on the listening socket failed; setting it per client socket", ex);
            }
        }
        inherited = false;
    }

    /** Gives an accepted socket its keepalive settings unless it inherited them. */
    void accepted(Channel ch) {
        Boolean known = inherited;
        if (known == null) {
            known = setOnListener && carries(ch);
            inherited = known;
            if (!known) {
                log.debug("accepted sockets do not inherit keepalive from the listener; setting it per client socket");
            }
        }
        if (!known) {
            applyKeepalive(keepalive, ch);
        }
    }

    /** Keepalive on one socket: {@link TcpKeepalive#applyTo}, which sets only SO_KEEPALIVE on io_uring, plus the timing there. */
    static void applyKeepalive(TcpKeepalive keepalive, Channel ch) {
        keepalive.applyTo(ch);
        if (ch instanceof IoUringSocketChannel && keepalive.enabled()) {
            var c = ch.config();
            c.setOption(TCP_KEEPIDLE, (int) keepalive.time().toSeconds());
            c.setOption(TCP_KEEPINTVL, (int) keepalive.interval().toSeconds());
            c.setOption(TCP_KEEPCNT, keepalive.retries());
        }
    }

    /** The keepalive options by number (SOL_SOCKET 1, IPPROTO_TCP 6), which io_uring's channels take as they are. */
    private static final IntegerUnixChannelOption SO_KEEPALIVE = new IntegerUnixChannelOption("SO_KEEPALIVE", 1, 9);
    private static final IntegerUnixChannelOption TCP_KEEPIDLE = new IntegerUnixChannelOption("TCP_KEEPIDLE", 6, 4);
    private static final IntegerUnixChannelOption TCP_KEEPINTVL = new IntegerUnixChannelOption("TCP_KEEPINTVL", 6, 5);
    private static final IntegerUnixChannelOption TCP_KEEPCNT = new IntegerUnixChannelOption("TCP_KEEPCNT", 6, 6);

    private boolean carries(Channel ch) {
        if (ch instanceof IoUringSocketChannel) {
            try {
                var c = ch.config();
                return c.getOption(SO_KEEPALIVE) == 1
                        && c.getOption(TCP_KEEPIDLE) == keepalive.time().toSeconds()
                        && c.getOption(TCP_KEEPINTVL) == keepalive.interval().toSeconds()
                        && c.getOption(TCP_KEEPCNT) == keepalive.retries();
            } catch (RuntimeException e) {
                return false;
            }
        }
        if (!(ch instanceof EpollSocketChannel)) {
            return false;
        }
        try {
            var c = ch.config();
            return Boolean.TRUE.equals(c.getOption(ChannelOption.SO_KEEPALIVE))
                    && c.getOption(EpollChannelOption.TCP_KEEPIDLE) == keepalive.time().toSeconds()
                    && c.getOption(EpollChannelOption.TCP_KEEPINTVL) == keepalive.interval().toSeconds()
                    && c.getOption(EpollChannelOption.TCP_KEEPCNT) == keepalive.retries();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Method[] find() {
        try {
            Class<?> linux = Class.forName("io.netty.channel.epoll.LinuxSocket");
            Method[] m = {
                linux.getDeclaredMethod("setTcpKeepIdle", int.class),
                linux.getDeclaredMethod("setTcpKeepIntvl", int.class),
                linux.getDeclaredMethod("setTcpKeepCnt", int.class)
            };
            for (Method x : m) {
                x.setAccessible(true);
            }
            return m;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
