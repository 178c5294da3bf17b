package dev.sluice.net;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** IP literal parsing and formatting without DNS. */
public final class IpLiterals {
    private IpLiterals() {}

    /** Parses an IPv4 or IPv6 literal; empty for anything else (host names are never resolved). */
    public static Optional<InetAddress> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text.trim());
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** ::ffff:a.b.c.d becomes a.b.c.d; anything else is returned as is. */
    public static InetAddress unmapV4(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            boolean mapped = b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return address;
    }

    /** The address as Rust's IpAddr prints it: RFC 5952 text for IPv6 ("::1", not Java's "0:0:0:0:0:0:0:1"). */
    public static String format(InetAddress address) {
        return NetUtil.toAddressString(address);
    }

    /** "ip:port" for IPv4, "[ip]:port" for IPv6, as Rust's SocketAddr prints them. */
    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        String host = NetUtil.toAddressString(ip);
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
