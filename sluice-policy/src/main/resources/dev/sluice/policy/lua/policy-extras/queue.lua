-- Sluice's queue helper: tenants, campaigns and per-domain queue settings from data files, for
-- policies written for KumoMTA's helper of the same name.
--
--   local queue_module = require 'policy-extras.queue'
--   local queue_helper = queue_module:setup { '/opt/kumomta/etc/policy/queues.toml' }
--   kumo.on('smtp_server_message_received', function(msg) queue_helper:apply(msg) end)
--
-- File (TOML; JSON for other names; or a Lua table):
--   scheduling_header = "X-Schedule"        imported with msg:import_scheduling_header, then removed
--   tenant_header = "X-Tenant"              meta 'tenant' from this header ...
--   remove_tenant_header = true
--   default_tenant = "default"              ... or this when the header is absent
--   campaign_header = "X-Campaign"          meta 'campaign' from this header
--   remove_campaign_header = true
--   [tenant.'T']                            make_queue_config keys for tenant T, and
--     require_authz = ["id", ...]           only clients authenticated as one of these may use T
--   [queue.default]                         make_queue_config keys for every queue
--   [queue.'example.com']                   for that domain ('*.example.com': every name below it),
--     routing_domain = "..."                and the message's routing_domain meta
--   [queue.'example.com'.'T']               for that domain and tenant T
--   [queue.'example.com'.'T'.'C']           ... and campaign C
--   overall_max_message_rate = "1000/hr"    in [tenant.'T'] or [tenant.'T'.'C']: a throttle over every message of
--                                           the tenant (or its campaign C), whatever the destination, enforced in
--                                           throttle_insert_ready_queue (shared through Redis when configured)
-- A key in a domain or tenant block that is not a make_queue_config key names a tenant (or
-- campaign) block. Later blocks win: default, domain, tenant, domain+tenant, domain+tenant+campaign.
-- Registers get_queue_config (unless skip_queue_config_hook); it answers nil for a domain no block
-- covers, so that an earlier handler can.
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'
local support = require 'policy-extras.support'

local queue = {}
local file_label, reason = support.file_label, support.reason

local TOP_KEYS = {
  scheduling_header = 'string', tenant_header = 'string', remove_tenant_header = 'boolean',
  campaign_header = 'string', remove_campaign_header = 'boolean', default_tenant = 'string',
}
-- keys of the helper's own, never passed to make_queue_config
local HELPER_KEYS = { routing_domain = true, overall_max_message_rate = true, require_authz = true }

-- true when make_queue_config knows the key (whether or not the value is right), so that a
-- table under an unknown key can be taken for a tenant or campaign block
local function is_queue_option(key, value)
  if HELPER_KEYS[key] then
    return true
  end
  local ok, err = pcall(kumo.make_queue_config, { [key] = value })
  return ok or not tostring(err):find("unknown key", 1, true)
end
queue.is_queue_config_option = is_queue_option

-- Splits a block into its own parameters and its named sub-blocks.
local function split_block(file, label, block)
  if type(block) ~= 'table' then
    support.fail(file, label, 'must be a table')
  end
  local params, children = {}, {}
  for k, v in pairs(block) do
    if type(v) == 'table' and not is_queue_option(k, v) then
      children[k] = v
    else
      params[k] = v
    end
  end
  local check = {}
  for k, v in pairs(params) do
    if not HELPER_KEYS[k] then
      check[k] = v
    end
  end
  local ok, err = pcall(kumo.make_queue_config, check)
  if not ok then
    support.fail(file, label, reason(err))
  end
  if params.require_authz ~= nil and type(params.require_authz) ~= 'table' then
    support.fail(file, label, 'require_authz must be a list of identities')
  end
  if params.overall_max_message_rate ~= nil then
    local rate_ok, rate_err = pcall(kumo.make_throttle, 'policy-extras.queue', params.overall_max_message_rate)
    if not rate_ok then
      support.fail(file, label, 'overall_max_message_rate: ' .. reason(rate_err))
    end
  end
  return params, children
end

local function merge_params(target, params)
  target = target or {}
  utils.merge_into(params, target)
  return target
end

local function read_file(file, data)
  local doc = support.read(file)
  for key, value in pairs(doc) do
    if TOP_KEYS[key] then
      if type(value) ~= TOP_KEYS[key] then
        error(string.format('%s: %s must be a %s, got %s', file_label(file), key, TOP_KEYS[key], type(value)), 0)
      end
      data[key] = value
    elseif key ~= 'tenant' and key ~= 'queue' then
      error(string.format("%s: unknown key '%s' (expected %s, [tenant.'name'] or [queue.'domain'])",
        file_label(file), key, 'scheduling_header, tenant_header, campaign_header, default_tenant'), 0)
    end
  end
  for tenant, block in pairs(doc.tenant or {}) do
    local label = string.format('[tenant.%q]', tenant)
    local params, campaigns = split_block(file, label, block)
    local t = data.tenants[tenant] or { params = {}, campaigns = {} }
    t.params = merge_params(t.params, params)
    for campaign, cblock in pairs(campaigns) do
      local cparams = split_block(file, string.format('[tenant.%q.%q]', tenant, campaign), cblock)
      t.campaigns[campaign] = merge_params(t.campaigns[campaign], cparams)
    end
    data.tenants[tenant] = t
  end
  for domain, block in pairs(doc.queue or {}) do
    local name = domain:lower()
    local label = string.format('[queue.%q]', domain)
    local params, tenants = split_block(file, label, block)
    local d = data.queues[name] or { params = {}, tenants = {} }
    d.params = merge_params(d.params, params)
    for tenant, tblock in pairs(tenants) do
      local tlabel = string.format('[queue.%q.%q]', domain, tenant)
      local tparams, campaigns = split_block(file, tlabel, tblock)
      local t = d.tenants[tenant] or { params = {}, campaigns = {} }
      t.params = merge_params(t.params, tparams)
      for campaign, cblock in pairs(campaigns) do
        local clabel = string.format('[queue.%q.%q.%q]', domain, tenant, campaign)
        local cparams, extra = split_block(file, clabel, cblock)
        local stray = next(extra)
        if stray ~= nil then
          support.fail(file, clabel, string.format("unknown key '%s'", stray))
        end
        t.campaigns[campaign] = merge_params(t.campaigns[campaign], cparams)
      end
      d.tenants[tenant] = t
    end
    data.queues[name] = d
  end
end

local function load(files)
  local data = { tenants = {}, queues = {} }
  for _, file in ipairs(files) do
    read_file(file, data)
  end
  if data.default_tenant and not data.tenants[data.default_tenant] then
    error(string.format("default_tenant '%s' has no [tenant.'%s'] block in any of the queue files",
      data.default_tenant, data.default_tenant), 0)
  end
  return data
end

local function domain_block(queues, name)
  return support.match_domain(queues, name)
end

-- The composed parameters for (domain, tenant, campaign), helper keys included; nil when no block applies.
local function compose(data, domain, tenant, campaign)
  local layers = {}
  local function add(params)
    if params then
      layers[#layers + 1] = params
    end
  end
  add(data.queues.default and data.queues.default.params)
  local d = domain_block(data.queues, domain)
  add(d and d.params)
  local t = tenant and data.tenants[tenant]
  add(t and t.params)
  local dt = d and tenant and d.tenants[tenant]
  add(dt and dt.params)
  add(dt and campaign and dt.campaigns[campaign])
  if #layers == 0 then
    return nil
  end
  local params = {}
  for _, layer in ipairs(layers) do
    utils.merge_into(layer, params)
  end
  return params
end

local function queue_params(composed)
  local params = {}
  for k, v in pairs(composed) do
    if not HELPER_KEYS[k] then
      params[k] = v
    end
  end
  return params
end

local function apply(msg, data)
  if data.scheduling_header then
    msg:import_scheduling_header(data.scheduling_header, true)
  end
  if data.campaign_header then
    local campaign = msg:get_first_named_header_value(data.campaign_header)
    if campaign then
      msg:set_meta('campaign', campaign)
      if data.remove_campaign_header then
        msg:remove_all_named_headers(data.campaign_header)
      end
    end
  end
  local tenant, from
  if data.tenant_header then
    tenant = msg:get_first_named_header_value(data.tenant_header)
    from = string.format("the %s header", data.tenant_header)
    if tenant and data.remove_tenant_header then
      msg:remove_all_named_headers(data.tenant_header)
    end
  end
  if tenant == nil and data.default_tenant then
    tenant, from = data.default_tenant, 'default_tenant'
  end
  if tenant then
    local t = data.tenants[tenant]
    if t == nil then
      kumo.reject(550, string.format("5.7.1 tenant '%s' (from %s) is not defined in the queue configuration", tenant, from))
    end
    local allowed = t.params.require_authz
    if allowed then
      local who = msg:get_meta('authz_id')
      if who == nil then
        kumo.reject(550, string.format("5.7.1 tenant '%s' requires SMTP AUTH", tenant))
      end
      if not utils.table_contains(allowed, who) then
        kumo.reject(550, string.format("5.7.1 '%s' may not send as tenant '%s'", who, tenant))
      end
    end
    msg:set_meta('tenant', tenant)
  end
  local first = msg:recipient_list()[1]
  if first then
    local composed = compose(data, first.domain, msg:get_meta('tenant'), msg:get_meta('campaign'))
    if composed and composed.routing_domain then
      msg:set_meta('routing_domain', composed.routing_domain)
    end
  end
end

function queue:setup_with_options(options)
  if queue.CONFIGURED then
    error('policy-extras.queue: setup was already called', 2)
  end
  if type(options) ~= 'table' or type(options.file_names) ~= 'table' then
    error('policy-extras.queue: setup_with_options takes { file_names = { ... } }', 2)
  end
  local files = options.file_names
  local cached = kumo.memoize(load, {
    name = 'policy-extras.queue',
    ttl = '1 minute',
    capacity = 10,
    invalidate_with_epoch = options.invalidate_with_epoch ~= false,
  })
  cached(files) -- a mistake in a file stops the start, naming the file and block

  local helper = { file_names = files }
  function helper:apply(msg)
    apply(msg, cached(files))
  end
  function helper:resolve_config(domain, tenant, campaign)
    local composed = compose(cached(files), domain, tenant, campaign)
    return composed and queue_params(composed)
  end

  queue.CONFIGURED = {
    options = options,
    get_data = function() return cached(files) end,
    resolve_config = helper.resolve_config,
  }

  -- overall_max_message_rate of the message's tenant, then of its campaign under that tenant; the throttle names
  -- are KumoMTA's helper's, so a fleet of KumoMTA and Sluice nodes sharing Redis shares these limits too. (KumoMTA's
  -- helper applies the tenant's rate under the campaign's name; this one applies the campaign's own rate.)
  kumo.on('throttle_insert_ready_queue', function(msg)
    local tenant, campaign = msg:get_meta('tenant'), msg:get_meta('campaign')
    local t = tenant and cached(files).tenants[tenant]
    if t == nil then
      return
    end
    local rate = t.params.overall_max_message_rate
    if rate and kumo.make_throttle(string.format('queue-helper-tenant-overall_max_message_rate-%s', tenant), rate)
        :delay_message_if_throttled(msg) then
      return
    end
    local c = campaign and t.campaigns[campaign]
    rate = c and c.overall_max_message_rate
    if rate then
      kumo.make_throttle(string.format('queue-helper-tenant-campaign-overall_max_message_rate-%s-%s', tenant, campaign),
        rate):delay_message_if_throttled(msg)
    end
  end)

  if not options.skip_queue_config_hook then
    kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
      local composed = compose(cached(files), domain, tenant, campaign)
      if composed == nil then
        return nil
      end
      return kumo.make_queue_config(queue_params(composed))
    end)
  end
  return helper
end

function queue:setup(files)
  return queue:setup_with_options { file_names = files }
end

return queue
