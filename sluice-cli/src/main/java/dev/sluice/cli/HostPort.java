package dev.sluice.cli;

import java.net.InetSocketAddress;

/** "host:port" or "[v6]:port" from the command line; the host is resolved when used. */
record HostPort(String host, int port) {
    static HostPort parse(String option, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(option + ": expected HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": bad port in '" + text + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + ": port out of range in '" + text + "'");
        }
        return new HostPort(host, port);
    }

    InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    /** For URLs: IPv6 literals in brackets. */
    String authority() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
