package dev.sluice.egress.connect;

import dev.sluice.net.IpLiterals;
import java.net.InetAddress;
import java.util.Optional;

/** A proxy server field: "ip:port", "[v6]:port" or "host:port". */
record ProxyServerAddress(String host, int port, Optional<InetAddress> literal) {

    static ProxyServerAddress parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) throw new IllegalArgumentException("'" + text + "' is not [ipv6]:port");
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' is not host:port (write IPv6 addresses as [addr]:port)");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' in '" + text + "' is not a number");
        }
        if (p < 1 || p > 65535) throw new IllegalArgumentException("port " + p + " in '" + text + "' is out of range");
        return new ProxyServerAddress(host, p, IpLiterals.parse(host));
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
