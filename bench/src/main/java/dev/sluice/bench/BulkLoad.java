package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** N streams each reading bulk data from the target through the proxy for a fixed time; reports bytes/s. */
final class BulkLoad {

    private static final long MAX_READS_PER_STREAM = 2_000_000_000L;

    private BulkLoad() {}

    static Result run(Dialer dialer, InetSocketAddress target, int streams, double seconds) throws Exception {
        AtomicLong bytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            channels.add(dialer.open(target));
        }
        long cpu0 = CpuClock.processCpuNanos();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (SocketChannel ch : channels) {
            threads.add(Thread.ofPlatform().name("bulk").start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
                long mine = 0;
                try (ch) {
                    for (long i = 0; i < MAX_READS_PER_STREAM && System.nanoTime() < deadline; i++) {
                        buf.clear();
                        int n = ch.read(buf);
                        if (n < 0) {
                            errors.incrementAndGet(); // the relay ended the stream early
                            break;
                        }
                        mine += n;
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                }
                bytes.addAndGet(mine);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpu = CpuClock.processCpuNanos() - cpu0;
        return new Result().put("test", "bulk").put("streams", streams).put("bytes", bytes.get())
                .put("seconds", elapsed).put("gbps", bytes.get() / elapsed / 1e9).put("errors", errors.get())
                .put("load_cpu_s", cpu / 1e9);
    }
}
