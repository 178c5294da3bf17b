package dev.sluice.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parses the {@code ip:port} and {@code [v6]:port} addresses that KumoMTA configs use, and listener addresses. */
public final class SocketAddresses {
    /** A host name as DNS spells it (labels of letters, digits, hyphens; underscores tolerated). */
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*\\.?");
    private static final InetAddress IPV4_ANY = IpLiterals.parse("0.0.0.0").orElseThrow();

    private SocketAddresses() {}

    /**
     * Parses an IP literal with a port (name servers, proxies). Host names are refused: resolving a name here
     * would hide a misconfiguration behind whatever DNS says today. Listeners take more forms: {@link #parseListen}.
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
        return new InetSocketAddress(address, port(port, text));
    }

    /**
     * Parses a listener's {@code listen} address in every form KumoMTA binds: an IP literal with a port
     * ({@code 0.0.0.0:25}, {@code 127.0.0.1:0}, {@code [::]:25}), {@code 0:25} (the number 0 is the IPv4
     * wildcard, as the C resolver reads it), {@code :25} (no host: the IPv4 wildcard too; KumoMTA hands the empty
     * name to the resolver, which refuses it), and {@code host:port}, whose name is resolved now and bound to its
     * first address, as KumoMTA's bind does ({@code localhost:2525} binds 127.0.0.1).
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it (a name that does not resolve
     *                                  is named)
     */
    public static InetSocketAddress parseListen(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address; expected ip:port or host:port");
        }
        if (text.startsWith("[")) {
            return parseIpPort(text);
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0 || text.indexOf(':') != colon) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not host:port (write IPv6 addresses as [addr]:port)");
        }
        String host = text.substring(0, colon);
        int port = port(text.substring(colon + 1), text);
        if (host.isEmpty() || host.equals("0")) {
            return new InetSocketAddress(IPV4_ANY, port);
        }
        var literal = IpLiterals.parse(host);
        if (literal.isPresent()) {
            return new InetSocketAddress(literal.get(), port);
        }
        if (!HOST_NAME.matcher(host).matches()) {
            throw new IllegalArgumentException("'" + host + "' in '" + text + "' is neither an IP address nor a host name");
        }
        try {
            return new InetSocketAddress(InetAddress.getAllByName(host)[0], port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host name '" + host + "' in '" + text + "' does not resolve", e);
        }
    }

    private static int port(String port, String text) {
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' in '" + text + "' is not a number");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " in '" + text + "' is out of range");
        }
        return p;
    }
}
