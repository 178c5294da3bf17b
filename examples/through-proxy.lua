-- Sluice example: deliver every message through a SOCKS5 proxy (`sluice proxy` on 127.0.0.1:1080),
-- leaving from 127.0.0.7, to a local sink on 127.0.0.1:2526. See the README, "Watch it deliver".
-- The sink is on the proxy's own host, so that proxy needs `--allow-destination 127.0.0.0/8`.
local kumo = require 'kumo'

kumo.on('init', function()
  kumo.define_spool { name = 'data', path = './data/spool', kind = 'RocksDB', flush = true }
  kumo.configure_local_logs { log_dir = './data/logs' }
  kumo.start_esmtp_listener { listen = '127.0.0.1:2525' }
  kumo.start_http_listener { listen = '127.0.0.1:8000' }
end)

-- every message goes out through the SOCKS5 proxy on 127.0.0.1:1080, from 127.0.0.7
kumo.on('get_egress_source', function(name)
  return kumo.make_egress_source {
    name = name,
    socks5_proxy_server = '127.0.0.1:1080',
    socks5_proxy_source_address = '127.0.0.7',
  }
end)
kumo.on('get_egress_pool', function(name)
  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-7' } } }
end)
kumo.on('get_queue_config', function(domain)
  return kumo.make_queue_config { egress_pool = 'pool-1', protocol = { smtp = { mx_list = { '127.0.0.1:2526' } } } }
end)
kumo.on('get_egress_path_config', function(domain, source, site)
  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
end)
