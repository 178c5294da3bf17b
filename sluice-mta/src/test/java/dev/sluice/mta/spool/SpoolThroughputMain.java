package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Not a test: a quick measurement of the spool alone, for the benchmark notes.
 * {@code SpoolThroughputMain KIND DIR MESSAGES BYTES IN_FLIGHT FLUSH} stores MESSAGES messages of BYTES
 * bytes with at most IN_FLIGHT stores outstanding (like that many SMTP sessions waiting for their 250) and
 * prints messages per second and fsyncs per message.
 */
public final class SpoolThroughputMain {
    public static void main(String[] args) throws Exception {
        SpoolConfig.Kind kind = SpoolConfig.Kind.valueOf(args[0]);
        Path dir = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        byte[] data = new byte[Integer.parseInt(args[3])];
        Arrays.fill(data, (byte) 'x');
        Semaphore inFlight = new Semaphore(Integer.parseInt(args[4]));
        boolean flush = Boolean.parseBoolean(args[5]);
        SpoolMetrics metrics = new SpoolMetrics(new PrometheusRegistry());
        try (Spool spool = Spools.open(SpoolConfig.of("data", dir, kind, flush), metrics)) {
            spool.start();
            long start = System.nanoTime();
            CompletableFuture<?>[] all = new CompletableFuture<?>[n];
            for (int i = 0; i < n; i++) {
                inFlight.acquire();
                Message m = new Message(MessageId.next(Instant.now()), "s@example.com", "r" + i + "@example.net",
                        Map.of("tenant", "t", "campaign", "c"), data);
                all[i] = spool.store(List.of(m)).whenComplete((ok, e) -> inFlight.release());
            }
            CompletableFuture.allOf(all).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s flush=%s %d x %d B, %s in flight: %.0f msg/s, %.3f fsyncs/msg, %.1f msgs/commit%n",
                    kind.luaName(), flush, n, data.length, args[4], n / seconds,
                    metrics.fsyncs("data") / (double) n, n / (double) metrics.writes("data"));
        }
    }
}
