-- The policy `sluice mta` runs without --policy: a local MTA that accepts mail from this host and
-- delivers it by MX. Print it with `sluice mta --print-default-policy > my-policy.lua`, change it,
-- and run `sluice mta --policy my-policy.lua`.
local kumo = require 'kumo'

-- where the spool and the logs live (`sluice mta --data-dir DIR` sets it; relative to the working directory)
local data_dir = './data'

kumo.on('init', function()
  -- messages are acknowledged only once they are fsynced to the spool
  kumo.define_spool { name = 'data', path = data_dir .. '/spool', kind = 'RocksDB', flush = true }
  kumo.configure_local_logs { log_dir = data_dir .. '/logs' }
  -- relaying is allowed from this host only (relay_hosts defaults to loopback)
  kumo.start_esmtp_listener { listen = '127.0.0.1:2525', relay_hosts = { '127.0.0.1', '::1' } }
  kumo.start_http_listener { listen = '127.0.0.1:8000' }
end)

-- No get_queue_config or get_egress_path_config: every queue uses the defaults, which means
-- delivery by MX from this host's own address (egress source 'unspecified').
