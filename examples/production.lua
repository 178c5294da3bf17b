-- Sluice example: a production-shaped MTA. Copy this file and the production/ directory next to it,
-- then change the data files; `sluice check --policy production.lua` says what is wrong before a start.
--
--   * ESMTP on port 25 with STARTTLS (your certificate when the files below exist, otherwise a
--     self-signed one), relaying for your application servers only; HTTP inject, metrics and the
--     admin routes on loopback.
--   * Egress sources and pools, each source leaving through `sluice proxy` on the host that owns its
--     IP (production/sources.toml); tenants, campaigns and retry settings per destination
--     (production/queues.toml); connection and rate limits per destination and provider
--     (production/shaping.toml); DKIM signatures (production/dkim_data.toml).
--   * Every delivery outcome posted as JSON to your event collector (a webhook, retried while it is down).
local kumo = require 'kumo'
local sources = require 'policy-extras.sources'
local queue_module = require 'policy-extras.queue'
local shaping = require 'policy-extras.shaping'
local dkim_sign = require 'policy-extras.dkim_sign'
local log_hooks = require 'policy-extras.log_hooks'

-- the data files live next to this policy, in production/
local HERE = debug.getinfo(1, 'S').source:match('^@(.*/)') or './'
local ETC = HERE .. 'production/'
-- spool and logs (the service user must own it; see contrib/systemd/sluice-mta.service)
local DATA_DIR = '/var/lib/sluice'
-- the listener's certificate chain and key (PEM)
local TLS_CERTIFICATE = '/etc/sluice/tls/mail.example.com.crt'
local TLS_PRIVATE_KEY = '/etc/sluice/tls/mail.example.com.key'
-- the networks of the application servers that submit mail
local RELAY_HOSTS = { '127.0.0.1', '::1', '10.0.0.0/8' }
-- where delivery events go
local WEBHOOK_URL = 'http://127.0.0.1:9000/sluice-events'

local function readable(path)
  local f = io.open(path, 'r')
  if f == nil then
    return false
  end
  f:close()
  return true
end

kumo.on('init', function()
  -- acknowledge a message only once it is fsynced
  kumo.define_spool { name = 'data', path = DATA_DIR .. '/spool', kind = 'RocksDB', flush = true }
  kumo.configure_local_logs {
    log_dir = DATA_DIR .. '/logs',
    headers = { 'Subject', 'X-Tenant', 'X-Campaign' },
    meta = { 'tenant', 'campaign' },
  }

  local listener = {
    listen = '0.0.0.0:25',
    hostname = 'mail.example.com',
    relay_hosts = RELAY_HOSTS,
    max_messages_per_connection = 10000,
  }
  if readable(TLS_CERTIFICATE) and readable(TLS_PRIVATE_KEY) then
    listener.tls_certificate = TLS_CERTIFICATE
    listener.tls_private_key = TLS_PRIVATE_KEY
  else
    kumo.log_warn(string.format('%s not found: STARTTLS offers a self-signed certificate', TLS_CERTIFICATE))
  end
  kumo.start_esmtp_listener(listener)

  -- inject, metrics, queue summary: loopback only
  kumo.start_http_listener { listen = '127.0.0.1:8000', trusted_hosts = { '127.0.0.1', '::1' } }
end)

-- get_egress_source / get_egress_pool from the data file
sources:setup { ETC .. 'sources.toml' }

-- tenant and campaign from headers, and get_queue_config per domain, tenant and campaign
local queue_helper = queue_module:setup { ETC .. 'queues.toml' }

-- get_egress_path_config: limits per destination site and provider
kumo.on('get_egress_path_config', shaping:setup { ETC .. 'shaping.toml' })

-- DKIM: sign by the From header's domain
local dkim_signer = dkim_sign:setup { ETC .. 'dkim_data.toml' }

kumo.on('smtp_server_message_received', function(msg)
  queue_helper:apply(msg)
  dkim_signer(msg)
end)

kumo.on('http_message_generated', function(msg)
  queue_helper:apply(msg)
  dkim_signer(msg)
end)

-- every outcome (not the receptions) to the event collector, through a queue of its own
log_hooks:new_json {
  name = 'webhook',
  url = WEBHOOK_URL,
  log_parameters = { headers = { 'Subject', 'X-Tenant', 'X-Campaign' }, meta = { 'tenant', 'campaign' } },
  queue_config = { retry_interval = '1m', max_retry_interval = '10m', max_age = '1d' },
  filter = function(msg, hook_name)
    return msg:get_meta('log_record').type == 'Reception' -- true drops the record
  end,
}
