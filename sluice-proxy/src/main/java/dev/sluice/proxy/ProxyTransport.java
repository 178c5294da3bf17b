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
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's I/O transport. {@code sluice.proxy.transport} (system property) picks it: {@code auto} (the default:
 * io_uring where the kernel and its seccomp policy allow it, else epoll; io_uring measured about 10 % less CPU per
 * session, docs/benchmarks.md), {@code io_uring}, or {@code epoll}. Where epoll is unavailable too the proxy runs on
 * NIO ({@link Transports}). A listener on 0.0.0.0 means epoll (see {@link #serverChannelFactory}). io_uring gives up splice (every byte is copied in user space) and the epoll-only
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

    /** The transport {@code sluice.proxy.transport} asks for, for these listeners. */
    static ProxyTransport configured(java.util.List<ProxyListenerConfig> listeners) {
        return choose(System.getProperty(PROPERTY, DEFAULT), listeners);
    }

    /**
     * @param wanted {@code auto}, {@code io_uring} or {@code epoll} (case-insensitive)
     * @throws IllegalArgumentException another value, or io_uring asked for where it is unavailable or for a
     *     listener on 0.0.0.0 (which io_uring's IPv6 socket would open to IPv6 clients as well)
     */
    static ProxyTransport choose(String wanted, java.util.List<ProxyListenerConfig> listeners) {
        String wildcard = listeners.stream().map(ProxyListenerConfig::listen)
                .filter(a -> a.getAddress() instanceof Inet4Address && a.getAddress().isAnyLocalAddress())
                .map(dev.sluice.net.IpLiterals::format).findFirst().orElse(null);
        switch (wanted.strip().toLowerCase(Locale.ROOT)) {
            case "epoll" -> {
                return EPOLL_OR_NIO;
            }
            case "io_uring", "iouring", "io-uring" -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalArgumentException(PROPERTY + "=io_uring, but io_uring is unavailable here: "
                            + IoUring.unavailabilityCause());
                }
                if (wildcard != null) {
                    throw new IllegalArgumentException(PROPERTY + "=io_uring cannot serve the listener " + wildcard
                            + ": io_uring's socket would listen on every IPv6 address too; listen on specific addresses or use epoll");
                }
                return IO_URING;
            }
            case "auto" -> {
                if (wildcard != null) {
                    log.info("the proxy uses epoll: io_uring cannot listen on {} alone (its socket would take IPv6 clients too)", wildcard);
                    return EPOLL_OR_NIO;
                }
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
     * Listening channels. io_uring's listening channel has no address-family constructor: it is an IPv6 socket, and
     * an IPv4 address is bound in its v4-mapped form, which Linux serves over IPv4 only, except 0.0.0.0, which Netty
     * binds as {@code ::} (every IPv6 address too): {@link #configured} never picks io_uring for such a listener.
     * An IPv6 listener follows {@code net.ipv6.bindv6only} as on epoll ({@link Transports#serverChannelFactory}).
     */
    ChannelFactory<ServerSocketChannel> serverChannelFactory(InetAddress address) {
        if (this != IO_URING) {
            return Transports.serverChannelFactory(address);
        }
        if (address instanceof Inet6Address && Transports.systemBindsV6Only()) {
            return () -> {
                IoUringServerSocketChannel ch = new IoUringServerSocketChannel();
                ch.config().setOption(IPV6_V6ONLY, 1);
                return ch;
            };
        }
        return IoUringServerSocketChannel::new;
    }

    /** IPPROTO_IPV6 (41), IPV6_V6ONLY (26) on Linux. */
    private static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);


    /**
     * Outbound sockets of {@code address}'s family. io_uring's only public constructor makes an IPv6 socket (its
     * other constructors are for accepted sockets), which reaches an IPv4 destination at its v4-mapped address.
     */
    ChannelFactory<SocketChannel> socketChannelFactory(InetAddress address) {
        return this == IO_URING ? IoUringSocketChannel::new : Transports.socketChannelFactory(address);
    }

    /** Whether the socket option IP_BIND_ADDRESS_NO_PORT can be set on this transport's sockets. */
    boolean bindsWithoutPort() {
        return this == IO_URING || Transports.isEpoll();
    }
}
