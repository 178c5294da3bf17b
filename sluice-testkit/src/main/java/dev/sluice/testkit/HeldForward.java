package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP forwarder on 127.0.0.1 that accepts connections at once but relays them to its target only after
 * {@link #release()}: until then a client is connected and hears nothing (an SMTP client waits for the greeting).
 * A test that needs everything queued before the first transaction, whatever the machine's load, points the MTA at
 * it and releases it once the messages are in. Daemon threads, two per connection; {@link #close()} ends them.
 */
public final class HeldForward implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final CountDownLatch released = new CountDownLatch(1);
    private final List<Socket> sockets = new ArrayList<>();

    private HeldForward(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, Net.inet("127.0.0.1"));
    }

    /** Starts accepting on a free port; nothing is relayed to {@code target} before {@link #release()}. */
    public static HeldForward to(InetSocketAddress target) {
        try {
            HeldForward f = new HeldForward(target);
            daemon("held-forward-accept", f::accept);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on every connection, held or new, is relayed. */
    public void release() {
        released.countDown();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                track(client);
                daemon("held-forward-conn", () -> relay(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket client) {
        try {
            released.await();
            Socket upstream = track(new Socket(target.getAddress(), target.getPort()));
            daemon("held-forward-up", () -> pump(client, upstream));
            pump(upstream, client);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private synchronized Socket track(Socket s) {
        sockets.add(s);
        return s;
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public synchronized void close() {
        released.countDown();
        closeQuietly(server);
        sockets.forEach(HeldForward::closeQuietly);
    }
}
