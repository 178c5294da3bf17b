package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Ephemeral ports picked by the kernel (bind port 0) on a loopback address. The port is released
 * before returning, so a peer can bind it; the window for a race is small and accepted in tests.
 */
public final class FreePorts {
    private static final int ATTEMPTS = 50;

    private FreePorts() {}

    /** A free TCP port on 127.0.0.1. */
    public static int tcp() {
        return tcp("127.0.0.1");
    }

    /** A free TCP port on the given address (e.g. "127.0.0.5", "::1"). */
    public static int tcp(String address) {
        return tcp(Net.inet(address));
    }

    public static int tcp(InetAddress address) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port on " + address, e);
        }
    }

    /**
     * A TCP port on 127.0.0.1 kept for a server the test starts later: bound but not listening, so connections to it
     * are refused (a peer that is down) and no other test's bind to port 0 can take it meanwhile (test classes run
     * in parallel). {@link Held#release()} just before the server binds it.
     */
    public static Held hold() {
        java.net.Socket socket = new java.net.Socket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(Net.inet("127.0.0.1"), 0));
            return new Held(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing bound
            }
            throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
        }
    }

    /** A port held by {@link #hold()}. */
    public static final class Held implements AutoCloseable {
        private final java.net.Socket socket;

        private Held(java.net.Socket socket) {
            this.socket = socket;
        }

        public int port() {
            return socket.getLocalPort();
        }

        /** Frees the port for the server about to bind it. */
        public void release() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            release();
        }
    }

    /** A port free for both TCP and UDP on the address (DNS servers listen on both). */
    public static int tcpAndUdp(String address) {
        InetAddress inet = Net.inet(address);
        for (int i = 0; i < ATTEMPTS; i++) {
            int port = tcp(inet);
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(inet, port))) {
                return port;
            } catch (IOException busy) {
                // UDP side taken: try another
            }
        }
        throw new IllegalStateException("no port free for TCP and UDP on " + address);
    }
}
