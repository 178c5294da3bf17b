package dev.sluice.mta.app;

import dev.sluice.testkit.RedisFleetPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The in-JVM fleet nodes of the Redis tests: one {@link MtaApp} per name, sharing one Redis and one sink. */
final class RedisNodes {
    private RedisNodes() {}

    /**
     * Starts node {@code name} under {@code dir/name} with the testkit's {@link RedisFleetPolicy} (leases of 3 s,
     * every queue to {@code sinkPort}, {@code pathFields} in the path). Its shutdown is added to {@code stops}.
     */
    static MtaApp start(Path dir, String name, String redisUrl, int sinkPort, String pathFields,
                        List<AutoCloseable> stops) throws Exception {
        Path file = RedisFleetPolicy.write(dir.resolve(name), redisUrl, "3s", sinkPort, pathFields);
        MtaApp app = MtaFixture.start(file);
        stops.add(() -> app.shutdown(Duration.ofSeconds(5)));
        return app;
    }
}
