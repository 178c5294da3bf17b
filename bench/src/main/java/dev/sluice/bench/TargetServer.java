package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The far end of every relayed session, on 127.0.0.1: a "bulk" port that streams data until the client goes
 * away, a "banner" port that greets like an SMTP server and hangs up, and a "hold" port that greets and then
 * waits until the client sends anything (or closes) before hanging up.
 * <p>The target always closes first, so TIME_WAIT lands on its listening port and not on ephemeral ports: a
 * proxy that binds its outgoing socket (dante always; SOCKS BIND sources) would otherwise run out of ports
 * after a few tens of thousands of sessions and the bench would measure that instead of the proxy.
 * One virtual thread per connection; every loop is bounded by a count and by the server's lifetime.
 */
final class TargetServer implements AutoCloseable {

    static final byte[] BANNER = "220 bench.invalid ESMTP ready\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 256 * 1024;
    private static final long MAX_ACCEPTS = 100_000_000L;

    private final ServerSocketChannel bulk;
    private final ServerSocketChannel banner;
    private final ServerSocketChannel hold;
    private final long deadlineNanos;
    private final ByteBuffer payload;
    private volatile boolean closed;

    TargetServer(InetSocketAddress bulkAddr, InetSocketAddress bannerAddr, InetSocketAddress holdAddr,
                 long lifetimeSeconds) throws IOException {
        bulk = ServerSocketChannel.open().bind(bulkAddr, 4096);
        banner = ServerSocketChannel.open().bind(bannerAddr, 4096);
        hold = ServerSocketChannel.open().bind(holdAddr, 4096);
        deadlineNanos = System.nanoTime() + lifetimeSeconds * 1_000_000_000L;
        byte[] bytes = new byte[CHUNK];
        ThreadLocalRandom.current().nextBytes(bytes); // incompressible, in case anything on the path compresses
        payload = ByteBuffer.allocateDirect(CHUNK).put(bytes).flip();
        Thread.ofPlatform().daemon().name("accept-bulk").start(() -> acceptLoop(bulk, this::serveBulk));
        Thread.ofPlatform().daemon().name("accept-banner").start(() -> acceptLoop(banner, this::serveBanner));
        Thread.ofPlatform().daemon().name("accept-hold").start(() -> acceptLoop(hold, this::serveHold));
    }

    InetSocketAddress bulkAddress() throws IOException {
        return (InetSocketAddress) bulk.getLocalAddress();
    }

    InetSocketAddress bannerAddress() throws IOException {
        return (InetSocketAddress) banner.getLocalAddress();
    }

    InetSocketAddress holdAddress() throws IOException {
        return (InetSocketAddress) hold.getLocalAddress();
    }

    private boolean alive() {
        return !closed && System.nanoTime() < deadlineNanos;
    }

    private interface Session {
        void serve(SocketChannel ch) throws IOException;
    }

    private void acceptLoop(ServerSocketChannel server, Session session) {
        for (long n = 0; n < MAX_ACCEPTS && alive(); n++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofVirtual().start(() -> {
                try (ch) {
                    session.serve(ch);
                } catch (IOException ignored) {
                    // the client hung up: normal end of a session
                }
            });
        }
    }

    /** Streams the payload until the peer closes (a write fails) or the server's lifetime ends. */
    private void serveBulk(SocketChannel ch) throws IOException {
        ByteBuffer mine = payload.duplicate();
        for (long i = 0; i < Long.MAX_VALUE / 2 && alive(); i++) {
            mine.clear();
            Socks5Client.write(ch, mine);
        }
    }

    /** Sends the banner and hangs up (the caller's try-with-resources closes). */
    private void serveBanner(SocketChannel ch) throws IOException {
        Socks5Client.write(ch, ByteBuffer.wrap(BANNER));
    }

    /** Sends the banner, then hangs up as soon as the client sends anything or closes. */
    private void serveHold(SocketChannel ch) throws IOException {
        Socks5Client.write(ch, ByteBuffer.wrap(BANNER));
        ch.read(ByteBuffer.allocate(64));
    }

    @Override
    public void close() throws IOException {
        closed = true;
        bulk.close();
        banner.close();
        hold.close();
    }
}
