package dev.sluice.proxy;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.channels.DatagramChannel;
import java.net.StandardProtocolFamily;
import java.net.Inet6Address;

/**
 * Maps a bind/connect failure to a SOCKS5 reply code as KumoProxy does (ENETUNREACH 0x03, EHOSTUNREACH 0x04,
 * ECONNREFUSED 0x05, ETIMEDOUT 0x06, other 0x01).
 *
 * <p>Netty's native transport does not keep errno for connect failures: ENETUNREACH and EHOSTUNREACH both become a
 * bare {@link NoRouteToHostException}, others a ConnectException whose message carries strerror. For the former we
 * ask the kernel again with a UDP connect() from the same source to the same destination: it does the same route
 * lookup, sends no packet, and the JDK reports ENETUNREACH as "Network is unreachable".
 */
final class ConnectFailures {
    private ConnectFailures() {}

    static Socks5CommandStatus replyFor(Throwable failure, InetSocketAddress source, InetSocketAddress destination) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectTimeoutException) {
                return Socks5CommandStatus.TTL_EXPIRED;
            }
            if (t instanceof Errors.NativeIoException n) {
                Socks5CommandStatus s = fromErrno(n.expectedErr());
                if (s != null) {
                    return s;
                }
            }
            if (t instanceof NoRouteToHostException) {
                return networkUnreachable(source, destination)
                        ? Socks5CommandStatus.NETWORK_UNREACHABLE : Socks5CommandStatus.HOST_UNREACHABLE;
            }
            Socks5CommandStatus s = fromMessage(t.getMessage());
            if (s != null) {
                return s;
            }
        }
        return Socks5CommandStatus.FAILURE;
    }

    private static Socks5CommandStatus fromErrno(int negativeErrno) {
        if (negativeErrno == Errors.ERROR_ECONNREFUSED_NEGATIVE) {
            return Socks5CommandStatus.CONNECTION_REFUSED;
        }
        if (negativeErrno == Errors.ERROR_ENETUNREACH_NEGATIVE) {
            return Socks5CommandStatus.NETWORK_UNREACHABLE;
        }
        if (negativeErrno == Errors.ERROR_EHOSTUNREACH_NEGATIVE) {
            return Socks5CommandStatus.HOST_UNREACHABLE;
        }
        return null;
    }

    /** strerror texts (glibc) as they appear in Netty's and the JDK's exception messages. */
    static Socks5CommandStatus fromMessage(String message) {
        if (message == null) {
            return null;
        }
        if (message.contains("Connection refused")) {
            return Socks5CommandStatus.CONNECTION_REFUSED;
        }
        if (message.contains("Connection timed out")) {
            return Socks5CommandStatus.TTL_EXPIRED;
        }
        if (message.contains("Network is unreachable")) {
            return Socks5CommandStatus.NETWORK_UNREACHABLE;
        }
        if (message.contains("No route to host")) {
            return Socks5CommandStatus.HOST_UNREACHABLE;
        }
        return null;
    }

    /** True when the kernel has no route at all to {@code destination} from {@code source} (ENETUNREACH). */
    static boolean networkUnreachable(InetSocketAddress source, InetSocketAddress destination) {
        if (destination == null || destination.getAddress() == null) {
            return false;
        }
        var family = destination.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        try (DatagramChannel probe = DatagramChannel.open(family)) {
            if (source != null && source.getAddress() != null && !source.getAddress().isAnyLocalAddress()) {
                probe.bind(new InetSocketAddress(source.getAddress(), 0));
            }
            probe.connect(destination);
            return false;
        } catch (SocketException e) {
            return e.getMessage() != null && e.getMessage().contains("Network is unreachable");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
