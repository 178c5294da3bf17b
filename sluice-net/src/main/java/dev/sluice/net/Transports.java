package dev.sluice.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the native epoll transport, falling back to NIO (logged once) only where epoll is unavailable.
 * Everything that creates event loops or channels goes through here so the choice is made in one place.
 */
public final class Transports {
    private static final Logger log = LoggerFactory.getLogger(Transports.class);
    private static final AtomicBoolean warned = new AtomicBoolean();

    private Transports() {}

    /** True when the native epoll transport is in use. */
    public static boolean isEpoll() {
        boolean available = Epoll.isAvailable();
        if (!available && warned.compareAndSet(false, true)) {
            log.warn("native epoll transport unavailable, falling back to NIO (no splice, no IP_BIND_ADDRESS_NO_PORT)",
                    Epoll.unavailabilityCause());
        }
        return available;
    }

    public static IoHandlerFactory ioHandlerFactory() {
        return isEpoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** An event loop group of {@code threads} threads (0 = Netty default) for the chosen transport. */
    public static EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    public static EventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory());
    }

    public static Class<? extends ServerSocketChannel> serverChannelClass() {
        return isEpoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> socketChannelClass() {
        return isEpoll() ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** Socket channels of the address family of {@code address} (a v4 socket for a v4 address, not dual-stack). */
    public static ChannelFactory<SocketChannel> socketChannelFactory(InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        if (isEpoll()) {
            return () -> new EpollSocketChannel(family);
        }
        return () -> new NioSocketChannel(SelectorProvider.provider(), family);
    }

    /**
     * Listening channels of the family of {@code address}: 0.0.0.0 listens on IPv4 only (and reports 0.0.0.0),
     * instead of the dual-stack [::] socket a family-less channel would open. An IPv6 listener follows the system's
     * {@code net.ipv6.bindv6only} (of the network namespace), as a plain socket would: Netty's native transport
     * always clears IPV6_V6ONLY, so with {@code bindv6only = 1} a policy listening on both 0.0.0.0:25 and [::]:25
     * (as KumoMTA's example does) could not bind the second.
     */
    public static ChannelFactory<ServerSocketChannel> serverChannelFactory(InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        if (isEpoll()) {
            if (family == SocketProtocolFamily.INET6 && systemBindsV6Only()) {
                return () -> {
                    EpollServerSocketChannel channel = new EpollServerSocketChannel(family);
                    channel.config().setOption(IPV6_V6ONLY, 1);
                    return channel;
                };
            }
            return () -> new EpollServerSocketChannel(family);
        }
        return () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    /** IPPROTO_IPV6 (41), IPV6_V6ONLY (26) on Linux. */
    private static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

    /** Whether {@code net.ipv6.bindv6only} is 1: an IPv6 listener then takes IPv6 clients only. */
    public static boolean systemBindsV6Only() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv6/bindv6only")).strip().equals("1");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** A client bootstrap for the chosen transport; the caller sets group, handler and options. */
    public static Bootstrap clientBootstrap(InetAddress family) {
        return new Bootstrap().channelFactory(socketChannelFactory(family));
    }
}
