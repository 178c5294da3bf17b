package dev.sluice.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The policy of one node of the fleet tests that share limits through Redis (sluice-mta's in-JVM nodes and
 * sluice-cli's {@code bin/sluice mta} processes): {@code kumo.configure_redis_throttles} at a Redis with a given
 * {@code lease_duration}; spool (RocksDB, {@code flush = false}) and logs in the node's directory; ESMTP relaying for
 * loopback and HTTP, both on free loopback ports; every queue to one sink ({@code 127.0.0.1:PORT}, retry every
 * second); the egress path {@code prohibited_hosts = {}, enable_tls = 'Disabled'} and the test's own fields.
 */
public final class RedisFleetPolicy {
    private RedisFleetPolicy() {}

    /** Writes {@code nodeDir/policy.lua} (creating {@code nodeDir}) and returns it. */
    public static Path write(Path nodeDir, String redisUrl, String leaseDuration, int sinkPort, String pathFields)
            throws IOException {
        Path d = Files.createDirectories(nodeDir).toAbsolutePath();
        Path policy = d.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.configure_redis_throttles { node = 'URL', lease_duration = 'LEASE' }
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { retry_interval = '1s',
                    protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled', PATH_FIELDS }
                end)
                """.replace("URL", redisUrl).replace("LEASE", leaseDuration).replace("DIR", d.toString())
                .replace("PORT", Integer.toString(sinkPort)).replace("PATH_FIELDS", pathFields));
        return policy;
    }
}
