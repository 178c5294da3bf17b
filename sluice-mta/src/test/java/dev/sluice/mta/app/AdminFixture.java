package dev.sluice.mta.app;

import java.nio.file.Path;

/** The policy of the admin tests: three destinations, one of which refuses connections. */
final class AdminFixture {
    private AdminFixture() {}

    /**
     * stuck.test goes to {@code deadPort} (nothing listens: deferred, retried in 1 h), other.test to
     * {@code otherPort}, every other domain to {@code sinkPort}; the Lua global {@code OTHER_PORT} is set.
     *
     * @param initExtra more Lua inside {@code init} (listeners)
     * @param extraLua  more top-level Lua
     */
    static String policy(Path dir, int sinkPort, int deadPort, int otherPort, String initExtra, String extraLua) {
        return """
                local kumo = require 'kumo'
                OTHER_PORT = %4$d
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                  %5$s
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  local port = %2$d
                  if domain == 'stuck.test' then port = %3$d end
                  if domain == 'other.test' then port = OTHER_PORT end
                  return kumo.make_queue_config { retry_interval = '1h',
                    protocol = { smtp = { mx_list = { '127.0.0.1:' .. port } } } }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                %6$s
                """.formatted(dir.toAbsolutePath(), sinkPort, deadPort, otherPort, initExtra, extraLua);
    }
}
