package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens N relayed sessions to the target's hold port (banner read, so data has crossed each relay), prints
 * "HOLDING n" and keeps them open for a while so the script can read the proxy's memory, then releases them.
 */
final class HoldLoad {

    private static final int OPENERS = 32;

    private HoldLoad() {}

    static Result run(Dialer dialer, InetSocketAddress target, int sessions, double holdSeconds) throws Exception {
        ConcurrentLinkedQueue<SocketChannel> open = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong remaining = new AtomicLong(sessions);
        long start = System.nanoTime();
        long openDeadline = start + 120_000_000_000L;
        List<Thread> openers = new ArrayList<>();
        for (int i = 0; i < OPENERS; i++) {
            openers.add(Thread.ofPlatform().name("open-" + i).start(() -> {
                for (long k = 0; k < sessions && remaining.getAndDecrement() > 0 && System.nanoTime() < openDeadline; k++) {
                    try {
                        SocketChannel ch = dialer.open(target);
                        open.add(ch);
                        SessionLoad.readBanner(ch);
                    } catch (IOException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.err.println("first hold error: " + e);
                        }
                    }
                }
            }));
        }
        for (Thread t : openers) {
            t.join();
        }
        double openSeconds = (System.nanoTime() - start) / 1e9;
        System.out.println("HOLDING " + open.size());
        System.out.flush();
        Thread.sleep((long) (holdSeconds * 1000));
        // Release: every session says QUIT, the target hangs up (so TIME_WAIT stays off the proxy's ephemeral ports)
        // and the hang-up must come back through the relay; a session the proxy dropped meanwhile fails here.
        int alive = 0;
        ByteBuffer quit = ByteBuffer.wrap("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        for (SocketChannel ch : open) {
            try (ch) {
                Socks5Client.write(ch, quit.clear());
                SessionLoad.awaitClose(ch);
                alive++;
            } catch (IOException e) {
                // counted as not alive
            }
        }
        return new Result().put("test", "hold").put("held", open.size()).put("alive", alive)
                .put("errors", errors.get()).put("open_seconds", openSeconds);
    }
}
