package dev.sluice.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Parses the {@code ip:port} and {@code [v6]:port} listen addresses that KumoMTA configs use. */
public final class SocketAddresses {
    private SocketAddresses() {}

    /**
     * Parses an IP literal with a port. Host names are refused: a listener binds an address, and
     * resolving a name here would hide a misconfiguration behind whatever DNS says today.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static InetSocketAddress parseIpPort(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address; expected ip:port");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' is not [ipv6]:port");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException(
                        "'" + text + "' is not ip:port (write IPv6 addresses as [addr]:port)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        InetAddress address = IpLiterals.parse(host)
                .orElseThrow(() -> new IllegalArgumentException("'" + host + "' in '" + text + "' is not an IP address"));
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' in '" + text + "' is not a number");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " in '" + text + "' is out of range");
        }
        return new InetSocketAddress(address, p);
    }
}
