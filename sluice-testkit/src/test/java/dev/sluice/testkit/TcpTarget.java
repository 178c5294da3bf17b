package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Java target server on loopback: records who connected and answers like a tiny HTTP/1.0 server with
 * "peer=IP" as the body (curl prints it; a raw client sees it after the headers).
 */
final class TcpTarget implements AutoCloseable {
    private final ServerSocket server;
    private final List<String> peers = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    TcpTarget(String host) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() { return server.getLocalPort(); }

    String host() { return server.getInetAddress().getHostAddress(); }

    /** Source IPs of the connections accepted so far. */
    List<String> peers() { return List.copyOf(peers); }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                String peer = s.getInetAddress().getHostAddress();
                peers.add(peer);
                Thread.ofVirtual().start(() -> answer(s, peer));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void answer(Socket s, String peer) {
        try (s) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            in.read(buf); // one request (or PROXY-forwarded bytes); content does not matter
            byte[] body = ("peer=" + peer + "\n").getBytes(StandardCharsets.US_ASCII);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        } catch (IOException ignored) {
            // client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
