package dev.sluice.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;

/** Small address helpers shared by the peers. */
final class Net {
    private Net() {}

    static InetAddress inet(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no DNS lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal: " + literal, e);
        }
    }

    /** "127.0.0.1:25" or "[::1]:25", the form most tools accept. */
    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** True if something accepts TCP connections at host:port in this JVM's namespace. */
    static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(inet(host), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
