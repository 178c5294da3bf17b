package dev.sluice.policy.egress;

import dev.sluice.net.IpLiterals;



import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A proxy server or destination given as {@code ip:port}, {@code [v6]:port} or {@code host:port}.
 * A host name stays unresolved: the egress layer resolves it at connect time.
 *
 * @param host    the IP literal (without brackets) or the DNS name
 * @param port    1-65535
 * @param address the parsed address when {@code host} is an IP literal
 */
public record HostPort(String host, int port, Optional<InetAddress> address) {
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    public HostPort {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (1-65535)");
        }
    }

    /** Whether the host is an IP literal (no DNS needed). */
    public boolean isLiteral() {
        return address.isPresent();
    }

    /** The socket address of a literal; unresolved for a host name. */
    public InetSocketAddress toSocketAddress() {
        return address.map(a -> new InetSocketAddress(a, port))
                .orElseGet(() -> InetSocketAddress.createUnresolved(host, port));
    }

    /** Parses {@code ip:port}, {@code [v6]:port} or {@code host:port}; the message names what is wrong. */
    public static HostPort parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [ipv6]:port");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (IpLiterals.parse(host).orElse(null) == null || !host.contains(":")) {
                throw new IllegalArgumentException("invalid IPv6 address '" + host + "' in '" + text + "'");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' has no port: expected ip:port, [ipv6]:port or host:port");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("'" + text + "': write an IPv6 address with a port as [ipv6]:port");
            }
        }
        int p = parsePort(port, text);
        InetAddress literal = IpLiterals.parse(host).orElse(null);
        if (literal == null && !isValidHostname(host)) {
            throw new IllegalArgumentException("invalid hostname '" + host + "' in '" + text + "'");
        }
        return new HostPort(host, p, Optional.ofNullable(literal));
    }

    static int parsePort(String port, String whole) {
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("invalid port '" + port + "' in '" + whole + "' (1-65535)");
        }
        return Integer.parseInt(port);
    }

    /** A syntactically valid DNS name: dot-separated labels of letters, digits, '-', '_'; at most 253 characters. */
    public static boolean isValidHostname(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.matches("[0-9.]+")) {
            return false; // digits and dots only would be a broken IPv4 literal
        }
        for (String label : h.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
