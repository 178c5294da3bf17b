-- Sluice's shaping helper: per-destination egress path settings from shaping files, for policies
-- written for KumoMTA's helper of the same name.
--
--   local shaping = require 'policy-extras.shaping'
--   kumo.on('get_egress_path_config', shaping:setup { '/opt/kumomta/etc/policy/shaping.toml' })
--
-- The files are read by kumo.shaping.load, in order, after the default file (shaping.DEFAULT_FILE:
-- KumoMTA's install path; when nothing is there Sluice's bundled policy-extras/shaping.toml is
-- read). Format: ["default"] and ["domain"] blocks of kumo.make_egress_path keys, mx_rollup,
-- replace_base, ["domain".sources."SOURCE"], [provider."name"] with match = [...] and
-- provider_connection_limit / provider_max_message_rate, [["domain".automation]] rules.
-- Everything is checked at setup: a bad file stops the start with "file: [block]: reason", and so
-- does any finding kumo.shaping.load grades as an error (two rolled-up domain blocks on one MX
-- site, by default). The data is re-read after 5 minutes or when the configuration epoch changes.
local kumo = require 'kumo'
local support = require 'policy-extras.support'

local shaping = {}
shaping.DEFAULT_FILE = '/opt/kumomta/share/policy-extras/shaping.toml'

local function load_shaping_data(files, load_options)
  local ok, data = pcall(kumo.shaping.load, files, load_options)
  if not ok then
    error('policy-extras.shaping: ' .. support.reason(data), 0)
  end
  return data
end

-- Raises with every error finding of the load; logs the warnings once.
local function check(data)
  local errors = data:get_errors()
  if #errors > 0 then
    error('policy-extras.shaping: ' .. table.concat(errors, '; '), 0)
  end
  for _, w in ipairs(data:get_warnings()) do
    kumo.log_warn('policy-extras.shaping: ' .. w)
  end
end

local function file_list(options)
  local files = {}
  if not options.no_default_files then
    files[#files + 1] = shaping.DEFAULT_FILE
  end
  for _, f in ipairs(options.extra_files or {}) do
    if type(f) ~= 'string' then
      error('policy-extras.shaping: extra_files must be file names, got a ' .. type(f), 3)
    end
    files[#files + 1] = f
  end
  return files
end

function shaping:setup_with_automation(options)
  if type(options) ~= 'table' then
    error('policy-extras.shaping: setup_with_automation takes a table of options', 2)
  end
  if (options.publish and #options.publish > 0) or (options.subscribe and #options.subscribe > 0) then
    error('policy-extras.shaping: publish/subscribe (Traffic Shaping Automation) is not supported yet: '
      .. 'it needs sluice tsa; use shaping:setup{files} for static shaping', 2)
  end
  local files = file_list(options)
  local cached = kumo.memoize(load_shaping_data, {
    name = 'policy-extras.shaping',
    ttl = options.cache_ttl or '5 minutes',
    capacity = 4,
    invalidate_with_epoch = true,
  })
  -- read once now, so that a mistake in a file stops the start with its name and block
  check(cached(files, options.load_validation_options))

  local function get_egress_path_config(domain, egress_source, site_name)
    local data = cached(files, options.load_validation_options)
    local params = data:get_egress_path_config(domain, egress_source, site_name)
    return kumo.make_egress_path(params)
  end

  return {
    get_egress_path_config = get_egress_path_config,
    -- nothing to publish without a TSA daemon
    setup_publish = function() end,
    load_shaping_data = function()
      return cached(files, options.load_validation_options)
    end,
  }
end

-- The get_egress_path_config handler for the default file plus extra_files.
function shaping:setup(extra_files)
  if extra_files ~= nil and type(extra_files) ~= 'table' then
    error('policy-extras.shaping: setup takes a list of file names', 2)
  end
  return shaping:setup_with_automation({ extra_files = extra_files, publish = {}, subscribe = {} })
    .get_egress_path_config
end

return shaping
