-- Sluice's listener_domains helper: which domains a listener relays to or from, from data files,
-- for policies written for KumoMTA's helper of the same name.
--
--   local listener_domains = require 'policy-extras.listener_domains'
--   kumo.on('get_listener_domain', listener_domains:setup { '/opt/kumomta/etc/policy/listener_domains.toml' })
--
-- Each file (TOML; JSON for other names; or a Lua table) holds one block per domain, with any
-- kumo.make_listener_domain key (relay_to, relay_from, log_oob, log_arf) and relay_from_authz:
--   ["example.com"]      relay_to = true
--   ["*.example.com"]    every name below example.com (not example.com itself)
--   ["*"]                every other domain
--   [listener."10.0.0.1:25"."example.com"]   only for that listener; the others are for every listener
-- relay_from_authz = ["id", ...]: a client that authenticated as one of these may relay from the
-- domain, from the address it is connected from.
-- Lookup: this listener and domain, then any listener and domain, then any listener's "*".
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'
local support = require 'policy-extras.support'

local listener_domains = {}
local reason = support.reason

local function check_params(file, block, params)
  if type(params) ~= 'table' then
    support.fail(file, block, 'must be a table of make_listener_domain keys')
  end
  local authz = params.relay_from_authz
  if authz ~= nil and type(authz) ~= 'table' then
    support.fail(file, block, 'relay_from_authz must be a list of identities')
  end
  local rest = {}
  utils.merge_into(params, rest)
  rest.relay_from_authz = nil
  local ok, err = pcall(kumo.make_listener_domain, rest)
  if not ok then
    support.fail(file, block, reason(err))
  end
end

local function add(target, file, listener, domain, params, block)
  check_params(file, block, params)
  target[listener] = target[listener] or {}
  local merged = target[listener][domain] or {}
  utils.merge_into(params, merged)
  target[listener][domain] = merged
end

local function load(files)
  local by_listener = {}
  for _, file in ipairs(files) do
    local doc = support.read(file)
    for key, value in pairs(doc) do
      if key == 'listener' then
        if type(value) ~= 'table' then
          support.fail(file, '[listener]', 'must be a table of listeners')
        end
        for listener, domains in pairs(value) do
          if type(domains) ~= 'table' then
            support.fail(file, string.format('[listener.%q]', listener), 'must be a table of domains')
          end
          for domain, params in pairs(domains) do
            add(by_listener, file, listener, domain:lower(), params,
              string.format('[listener.%q.%q]', listener, domain))
          end
        end
      else
        add(by_listener, file, '*', key:lower(), value, string.format('[%q]', key))
      end
    end
  end
  return by_listener
end

local match_domain = support.match_domain

local function conn_meta_value(conn_meta, key)
  if conn_meta == nil then
    return nil
  end
  local ok, value = pcall(function() return conn_meta:get_meta(key) end)
  if ok then
    return value
  end
  return type(conn_meta) == 'table' and conn_meta[key] or nil
end

local function resolve(params, conn_meta)
  local result = {}
  utils.merge_into(params, result)
  local authz = result.relay_from_authz
  result.relay_from_authz = nil
  if authz and utils.table_contains(authz, conn_meta_value(conn_meta, 'authz_id')) then
    local from = conn_meta_value(conn_meta, 'received_from')
    local ip = from and utils.split_ip_port(from) or from
    if ip then
      result.relay_from = { ip }
    end
  end
  return kumo.make_listener_domain(result)
end

-- Returns the function to register as the get_listener_domain event handler.
function listener_domains:setup(files)
  if type(files) ~= 'table' then
    error('policy-extras.listener_domains: setup takes a list of file names (or tables)', 2)
  end
  local cached = kumo.memoize(load, {
    name = 'policy-extras.listener_domains',
    ttl = '5 minutes',
    capacity = 10,
    invalidate_with_epoch = true,
  })
  cached(files) -- a mistake in a file stops the start, naming the file and block

  return function(domain, listener, conn_meta)
    local by_listener = cached(files)
    local name = tostring(domain):lower()
    local params = match_domain(by_listener[listener], name)
      or match_domain(by_listener['*'], name)
      or (by_listener['*'] or {})['*']
    if params == nil then
      return nil
    end
    return resolve(params, conn_meta)
  end
end

return listener_domains
