-- Sluice's rollup helper: send the mail of many domains hosted by one provider through one queue,
-- for policies written for KumoMTA's helper of the same name.
--
--   local rollup = require 'policy-extras.rollup'
--   kumo.on('smtp_server_message_received', function(msg)
--     rollup.reroute_using_ip_rollup(msg, { ['.mail.protection.outlook.com.'] = 'outlook.ip_rollup' })
--   end)
--   kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
--     local params = {}
--     rollup.apply_ip_rollup_to_queue_config(domain, routing_domain, params)
--     return kumo.make_queue_config(params)
--   end)
--
-- reroute_using_ip_rollup(msg, { mx_suffix = routing_domain }): when every most-preferred MX host
--   of the first recipient's domain ends with a suffix, sets the message's routing_domain meta
--   (which should end in ".ip_rollup"). A suffix matches with or without its final dot (KumoMTA's
--   needs the dot). A DNS failure is logged and leaves the message alone.
-- reroute_based_on_mx_host_suffix(msg, { mx_suffix = routing_domain }): the same over all MX hosts.
-- apply_ip_rollup_to_queue_config(domain, routing_domain, params): for a routing_domain ending in
--   ".ip_rollup", delivers to the addresses of the domain's most-preferred MX hosts, in a stable
--   order (so that every message of the rollup lands in the same ready queue).
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'

local rollup = {}

local function best_hosts(domain)
  local mx = kumo.dns.lookup_mx(domain)
  local best, hosts = nil, nil
  for pref, names in pairs(mx.by_pref) do
    local n = tonumber(pref)
    if best == nil or n < best then
      best, hosts = n, names
    end
  end
  return hosts or {}, mx
end

-- MX host names end with a dot (as KumoMTA's lookup_mx gives them); a suffix matches with or without it
local function without_dot(name)
  return (name:gsub('%.$', ''))
end

local function all_end_with(hosts, suffix)
  if #hosts == 0 then
    return false
  end
  suffix = without_dot(suffix)
  for _, host in ipairs(hosts) do
    if not utils.ends_with(without_dot(host), suffix) then
      return false
    end
  end
  return true
end

-- The mapping's value for the longest suffix that every host ends with (longest: most specific,
-- and the same answer whatever order pairs() walks the mapping in).
local function pick(hosts, mapping)
  local chosen, length = nil, -1
  for suffix, routing_domain in pairs(mapping) do
    if #suffix > length and all_end_with(hosts, suffix) then
      chosen, length = routing_domain, #suffix
    end
  end
  return chosen
end

local function reroute(msg, mapping, which)
  local ok, err = pcall(function()
    local first = msg:recipient_list()[1]
    if first == nil then
      return
    end
    local best, mx = best_hosts(first.domain)
    local routing_domain = pick(which == 'best' and best or mx.hosts, mapping)
    if routing_domain then
      msg:set_meta('routing_domain', routing_domain)
    end
  end)
  if not ok then
    kumo.log_warn(string.format('policy-extras.rollup: leaving the route alone: %s', tostring(err)))
  end
end

function rollup.reroute_using_ip_rollup(msg, mapping)
  reroute(msg, mapping, 'best')
end

function rollup.reroute_based_on_mx_host_suffix(msg, mapping)
  reroute(msg, mapping, 'all')
end

function rollup.apply_ip_rollup_to_queue_config(domain, routing_domain, params)
  if routing_domain == nil or not utils.ends_with(routing_domain, '.ip_rollup') then
    return
  end
  local hosts = best_hosts(domain)
  local mx_list = {}
  for _, host in ipairs(hosts) do
    local addrs = kumo.dns.lookup_addr(host)
    table.sort(addrs)
    for _, addr in ipairs(addrs) do
      mx_list[#mx_list + 1] = { name = host, addr = addr }
    end
  end
  params.protocol = { smtp = { mx_list = mx_list } }
end

return rollup
