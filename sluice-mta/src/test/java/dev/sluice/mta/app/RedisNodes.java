package dev.sluice.mta.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The in-JVM fleet nodes of the Redis tests: one {@link MtaApp} per name, sharing one Redis and one sink. */
final class RedisNodes {
    private RedisNodes() {}

    /**
     * Starts node {@code name} under {@code dir/name}: {@code kumo.configure_redis_throttles} at {@code redisUrl}
     * (leases of 3 s), spool and logs there, ESMTP on a free port relaying for loopback, every queue to
     * {@code sinkPort} (retry every second), the path {@code prohibited_hosts = {}, enable_tls = 'Disabled'} and
     * {@code pathFields}. Its shutdown is added to {@code stops}.
     */
    static MtaApp start(Path dir, String name, String redisUrl, int sinkPort, String pathFields,
                        List<AutoCloseable> stops) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path file = d.resolve("policy.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.configure_redis_throttles { node = 'URL', lease_duration = '3s' }
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { retry_interval = '1s',
                    protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', PATH }
                end)
                """.replace("URL", redisUrl).replace("DIR", d.toAbsolutePath().toString())
                .replace("PORT", Integer.toString(sinkPort)).replace("PATH", pathFields));
        MtaApp app = MtaFixture.start(file);
        stops.add(() -> app.shutdown(Duration.ofSeconds(5)));
        return app;
    }
}
