package dev.sluice.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses "127.0.0.1:1080" (IPv4 literals only: the bench is loopback-only). */
final class Endpoint {

    private Endpoint() {}

    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
        }
        try {
            InetAddress host = InetAddress.getByName(hostPort.substring(0, colon));
            return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad host in '" + hostPort + "'", e);
        }
    }
}
