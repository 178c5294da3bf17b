-- Sluice's sources helper: egress sources and pools from data files, for policies written for
-- KumoMTA's helper of the same name.
--
--   local sources = require 'policy-extras.sources'
--   sources:setup { '/opt/kumomta/etc/policy/sources.toml' }
--
-- Each file (TOML; JSON for other names; or a Lua table) may hold
--   [source."NAME"]         any kumo.make_egress_source key (source_address, ehlo_domain,
--                           socks5_proxy_server, ha_proxy_server, ...)
--   [pool."POOL"]           a pool (may be empty: nothing is sent through it)
--   [pool."POOL"."NAME"]    a member, with an optional weight (default 1)
-- Files are read in order; a later file overrides a source key by key and a pool member as a
-- whole. Everything is checked at setup: a bad key or value is an error naming the file and the
-- block. The data is re-read after 5 minutes or when the configuration epoch changes.
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'
local support = require 'policy-extras.support'

local sources = {}
local fail, reason = support.fail, support.reason

local function read_file(file, data)
  local doc = support.read(file)
  for key in pairs(doc) do
    if key ~= 'source' and key ~= 'pool' then
      fail(file, string.format('[%s]', key), 'unknown block (expected [source."name"] or [pool."name"])')
    end
  end
  for name, params in pairs(doc.source or {}) do
    local block = string.format('[source.%q]', name)
    if type(params) ~= 'table' then
      fail(file, block, 'must be a table of make_egress_source keys')
    end
    local merged = data.sources[name] or {}
    utils.merge_into(params, merged)
    merged.name = name
    data.sources[name] = merged
    data.source_file[name] = file
  end
  for pool, members in pairs(doc.pool or {}) do
    local block = string.format('[pool.%q]', pool)
    if type(members) ~= 'table' then
      fail(file, block, 'must be a table of member sources')
    end
    local p = data.pools[pool] or { name = pool, members = {} }
    for member, params in pairs(members) do
      local mblock = string.format('[pool.%q.%q]', pool, member)
      if type(params) ~= 'table' then
        fail(file, mblock, 'must be a table (with an optional weight)')
      end
      for key, value in pairs(params) do
        if key ~= 'weight' then
          fail(file, mblock, string.format("unknown key '%s' (a pool member has only a weight)", key))
        end
        if math.type(value) ~= 'integer' or value < 0 then
          fail(file, mblock, 'weight must be a whole number, 0 or more (0 takes the member out), got ' .. tostring(value))
        end
      end
      p.members[member] = { weight = params.weight or 1, file = file }
    end
    data.pools[pool] = p
    data.pool_file[pool] = data.pool_file[pool] or file
  end
end

local function load(files)
  local data = { sources = {}, pools = {}, source_file = {}, pool_file = {} }
  for _, file in ipairs(files) do
    read_file(file, data)
  end
  for name, params in pairs(data.sources) do
    local ok, err = pcall(kumo.make_egress_source, params)
    if not ok then
      fail(data.source_file[name], string.format('[source.%q]', name), reason(err))
    end
  end
  -- pools as make_egress_pool takes them, members in name order so that every load is the same
  local pools = {}
  for name, p in pairs(data.pools) do
    local names = utils.table_keys(p.members)
    table.sort(names)
    local entries = {}
    for _, member in ipairs(names) do
      if data.sources[member] == nil then
        fail(p.members[member].file, string.format('[pool.%q.%q]', name, member),
          'no [source."' .. member .. '"] in any of the sources files')
      end
      entries[#entries + 1] = { name = member, weight = p.members[member].weight }
    end
    pools[name] = { name = name, entries = entries }
    local ok, err = pcall(kumo.make_egress_pool, pools[name])
    if not ok then
      fail(data.pool_file[name], string.format('[pool.%q]', name), reason(err))
    end
  end
  return { sources = data.sources, pools = pools }
end

function sources:setup(files)
  if sources.CONFIGURED then
    error('policy-extras.sources: setup was already called', 2)
  end
  if type(files) ~= 'table' then
    error('policy-extras.sources: setup takes a list of file names (or tables)', 2)
  end
  local cached = kumo.memoize(load, {
    name = 'policy-extras.sources',
    ttl = '5 minutes',
    capacity = 10,
    invalidate_with_epoch = true,
  })
  -- read once now, so that a mistake in a file stops the start with its name and block
  cached(files)

  sources.CONFIGURED = {
    data_files = files,
    get_data = function()
      return cached(files)
    end,
  }

  kumo.on('get_egress_source', function(name)
    local params = cached(files).sources[name]
    if params == nil then
      error(string.format("egress source '%s' is not defined in %s", name, support.describe_files(files)), 0)
    end
    return kumo.make_egress_source(params)
  end)

  kumo.on('get_egress_pool', function(name)
    local params = cached(files).pools[name]
    if params == nil then
      error(string.format("egress pool '%s' is not defined in %s", name, support.describe_files(files)), 0)
    end
    return kumo.make_egress_pool(params)
  end)
end

return sources
