package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Run in a child JVM by {@link SpoolCrashTest}: stores up to N messages with {@code flush = false}, 64 in
 * flight, and prints "ACK id" for each one once its store completed. The test kills it mid-stream.
 */
public final class SpoolCrashChild {
    public static void main(String[] args) throws Exception {
        SpoolConfig.Kind kind = SpoolConfig.Kind.valueOf(args[0]);
        Path path = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        Spool spool = Spools.open(SpoolConfig.of("data", path, kind, false),
                new SpoolMetrics(new PrometheusRegistry()));
        spool.start();
        System.out.println("OPEN");
        System.out.flush();
        Semaphore inFlight = new Semaphore(64);
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            Message m = TestMessages.message(i);
            spool.store(List.of(m)).whenComplete((ok, error) -> {
                if (error == null) {
                    System.out.println("ACK " + m.id());
                    System.out.flush();
                }
                inFlight.release();
            });
        }
        spool.close();
        System.out.println("DONE");
    }
}
