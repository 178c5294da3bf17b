package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * C clients, each in a loop: connect, SOCKS handshake (+BIND) + CONNECT, read the banner, wait for the target's
 * hang-up to come through the relay, close. Reports sessions/s
 * and the handshake latency (TCP connect until the CONNECT reply) percentiles.
 */
final class SessionLoad {

    /** Samples kept per client; past this the client stops recording (not sessioning). */
    private static final int MAX_SAMPLES_PER_CLIENT = 200_000;

    private SessionLoad() {}

    static Result run(Dialer dialer, InetSocketAddress target, int clients, double seconds, long maxSessions)
            throws Exception {
        AtomicLong sessions = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<int[]> samples = new ArrayList<>();
        int[] counts = new int[clients];
        long perClient = Math.max(1, maxSessions / clients);
        long cpu0 = CpuClock.processCpuNanos();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int[] mine = new int[1024];
            samples.add(mine);
            int index = c;
            threads.add(Thread.ofPlatform().name("session-" + c).start(() -> {
                int[] lat = mine;
                int n = 0;
                for (long i = 0; i < perClient && System.nanoTime() < deadline; i++) {
                    long t0 = System.nanoTime();
                    try (SocketChannel ch = dialer.open(target)) {
                        long micros = (System.nanoTime() - t0) / 1_000;
                        readBanner(ch);
                        awaitClose(ch);
                        sessions.incrementAndGet();
                        if (n < MAX_SAMPLES_PER_CLIENT) {
                            if (n == lat.length) {
                                lat = Arrays.copyOf(lat, Math.min(lat.length * 2, MAX_SAMPLES_PER_CLIENT));
                            }
                            lat[n++] = (int) Math.min(micros, Integer.MAX_VALUE);
                        }
                    } catch (IOException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.err.println("first session error: " + e);
                        }
                    }
                }
                synchronized (samples) {
                    samples.set(index, lat);
                    counts[index] = n;
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpu = CpuClock.processCpuNanos() - cpu0;
        int total = 0;
        for (int c = 0; c < clients; c++) {
            total += counts[c];
        }
        int[] all = new int[total];
        int at = 0;
        for (int c = 0; c < clients; c++) {
            System.arraycopy(samples.get(c), 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        return new Result().put("test", "sessions").put("mode", dialer.mode().name()).put("clients", clients)
                .put("sessions", sessions.get()).put("errors", errors.get()).put("seconds", elapsed)
                .put("rate", sessions.get() / elapsed)
                .put("p50_ms", percentile(all, 0.50) / 1000.0).put("p99_ms", percentile(all, 0.99) / 1000.0)
                .put("load_cpu_s", cpu / 1e9);
    }

    static double percentile(int[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Reads until the relay passes on the target's close; the session counts only if it does. */
    static void awaitClose(SocketChannel ch) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(256);
        for (int i = 0; i < 1_000; i++) {
            sink.clear();
            if (ch.read(sink) < 0) {
                return;
            }
        }
        throw new IOException("relay kept sending after the banner");
    }

    /** Reads up to the banner's end of line. */
    static void readBanner(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(TargetServer.BANNER.length);
        for (int i = 0; i < 1_000 && buf.hasRemaining(); i++) {
            if (ch.read(buf) < 0) {
                throw new IOException("closed before banner (" + buf.position() + " bytes)");
            }
            if (buf.position() > 0 && buf.get(buf.position() - 1) == '\n') {
                return;
            }
        }
        if (buf.get(buf.position() - 1) != '\n') {
            throw new IOException("banner not terminated");
        }
    }
}
