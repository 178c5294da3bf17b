package dev.sluice.proxy;

import dev.sluice.net.Transports;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.InetAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's I/O transport. {@code sluice.proxy.transport} (system property) picks it: {@code auto} (the default:
 * io_uring where the kernel and its seccomp policy allow it, else epoll; io_uring measured about 10 % less CPU per
 * session, docs/benchmarks.md), {@code io_uring}, or {@code epoll}. Where epoll is unavailable too the proxy runs on
 * NIO ({@link Transports}). io_uring gives up splice (every byte is copied in user space) and the epoll-only
 * savings of {@link Relay}; asked for but unavailable, the proxy refuses to start and says why.
 *
 * <p>An outbound socket must be of the client's transport (it is registered on the client's event loop):
 * {@link #of(Channel)} gives it.
 */
enum ProxyTransport {
    IO_URING, EPOLL_OR_NIO;

    private static final Logger log = LoggerFactory.getLogger(ProxyTransport.class);
    static final String PROPERTY = "sluice.proxy.transport";
    static final String DEFAULT = "auto";

    /** IPPROTO_IP (0), IP_BIND_ADDRESS_NO_PORT (24) on Linux: Netty's io_uring options do not name it. */
    static final IntegerUnixChannelOption IP_BIND_ADDRESS_NO_PORT = new IntegerUnixChannelOption("IP_BIND_ADDRESS_NO_PORT", 0, 24);

    /** The transport {@code sluice.proxy.transport} asks for. */
    static ProxyTransport configured() {
        return choose(System.getProperty(PROPERTY, DEFAULT));
    }

    /**
     * @param wanted {@code auto}, {@code io_uring} or {@code epoll} (case-insensitive)
     * @throws IllegalArgumentException another value, or io_uring asked for where it is unavailable
     */
    static ProxyTransport choose(String wanted) {
        switch (wanted.strip().toLowerCase(Locale.ROOT)) {
            case "epoll" -> {
                return EPOLL_OR_NIO;
            }
            case "io_uring", "iouring", "io-uring" -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalArgumentException(PROPERTY + "=io_uring, but io_uring is unavailable here: "
                            + IoUring.unavailabilityCause());
                }
                return IO_URING;
            }
            case "auto" -> {
                if (IoUring.isAvailable()) {
                    return IO_URING;
                }
                log.info("io_uring unavailable ({}); the proxy uses epoll", String.valueOf(IoUring.unavailabilityCause()));
                return EPOLL_OR_NIO;
            }
            default -> throw new IllegalArgumentException(PROPERTY + "=" + wanted + ": expected auto, io_uring or epoll");
        }
    }

    /** The transport of an existing channel (the client's, for its outbound socket). */
    static ProxyTransport of(Channel ch) {
        return ch instanceof IoUringSocketChannel ? IO_URING : EPOLL_OR_NIO;
    }

    /** For the log line at start. */
    String displayName() {
        return this == IO_URING ? "io_uring" : Transports.isEpoll() ? "epoll" : "nio";
    }

    EventLoopGroup newEventLoopGroup(int threads) {
        return this == IO_URING
                ? new MultiThreadIoEventLoopGroup(threads, IoUringIoHandler.newFactory())
                : Transports.newEventLoopGroup(threads);
    }

    /**
     * Listening channels. io_uring's channels have no address-family constructor: they are dual-stack IPv6 sockets
     * (an IPv4 listen address is bound as its v4-mapped form), which reach the same clients.
     */
    ChannelFactory<ServerSocketChannel> serverChannelFactory(InetAddress address) {
        return this == IO_URING ? IoUringServerSocketChannel::new : Transports.serverChannelFactory(address);
    }

    /** Outbound sockets for {@code address}'s family (io_uring: dual-stack, connecting IPv4 as v4-mapped). */
    ChannelFactory<SocketChannel> socketChannelFactory(InetAddress address) {
        return this == IO_URING ? IoUringSocketChannel::new : Transports.socketChannelFactory(address);
    }

    /** Whether the socket option IP_BIND_ADDRESS_NO_PORT can be set on this transport's sockets. */
    boolean bindsWithoutPort() {
        return this == IO_URING || Transports.isEpoll();
    }
}
