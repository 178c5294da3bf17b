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
-- site, by default). The data is re-read after cache_ttl (5 minutes) or when the configuration
-- epoch changes.
--
-- With a Traffic Shaping Automation daemon (sluice tsa, or KumoMTA's tsa-daemon):
--
--   local shaper = shaping:setup_with_automation {
--     publish = { 'http://127.0.0.1:8008' }, subscribe = { 'http://127.0.0.1:8008' },
--     extra_files = { '/opt/kumomta/etc/policy/shaping.toml' },
--   }
--   kumo.on('init', function() shaper.setup_publish() end)
--   kumo.on('get_egress_path_config', shaper.get_egress_path_config)
--
-- publish: each delivery-related log record (not Reception, Rejection, Delayed, the rebind and
--   transfer records, nor the publisher's own) that some automation rule matches is queued to
--   "<url>.tsa.kumomta" and POSTed to <url>/publish_log_v1; while the daemon is down or answers
--   other than 2xx the record stays queued and is retried (tsa_queue_config: retry_interval 1m,
--   max_retry_interval 20m), so nothing is dropped.
-- subscribe: setup_publish starts a task per URL that holds a websocket to <url>/subscribe_event_v1
--   and applies each action as it arrives (ReadyQSuspension: kumo.api.admin.suspend_ready_q;
--   SchedQSuspension: kumo.api.admin.suspend; SchedQBounce: kumo.api.admin.bounce), which logs it
--   ("admin: suspension of ready queue ... until ...: automation rule: ...") and its expiry. On connect
--   the daemon sends every action still in force; one already in force is not applied again. While the daemon cannot be reached the task logs
--   the outage once and reconnects with back-off (1 s doubling to 30 s); delivery goes on with the
--   static shaping. <url>/get_config_v1/shaping.toml (the SetConfig overrides) is loaded after the
--   local files; a config monitor task reloads the data every config_monitor_interval (30 s) and
--   moves the configuration epoch when it changed, so that path configs are asked again (ready queues
--   apply them to their open connections too). It also logs each override of Sluice's daemon
--   (<url>/sluice/config_overrides_v1) once when it comes into force and once when it ends.
-- A fleet (sluice mta with kumo.configure_redis_throttles): the overrides a subscribing node reads there are
--   shared through Redis (kumo.api.admin.config_overrides), and every node using this helper, subscribed or not,
--   loads the fleet's overrides after its files, until each override's own expiry (also while the daemon is down).
local kumo = require 'kumo'
local support = require 'policy-extras.support'
local utils = require 'policy-extras.policy_utils'

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

-- Record types that say nothing about a destination's answers (arrivals, internal moves).
local UNINTERESTING_RECORD_TYPES = {
  'AdminRebind', 'DeferredInjectionRebind', 'Delayed', 'Reception', 'Rejection', 'XferIn', 'XferOut',
}

local KNOWN_OPTIONS = {
  publish = 'table', subscribe = 'table', extra_files = 'table', no_default_files = 'boolean',
  cache_ttl = 'string', tsa_queue_config = 'table', back_pressure = 'number', pre_filter = 'boolean',
  skip_log_record_types = 'table', additional_skip_log_record_types = 'table',
  load_validation_options = 'table', validation_options = 'table', publish_timeout = 'string',
  publish_pool_idle_timeout = 'string', publish_connection_verbose = 'boolean',
  retry_shaping_data_fetch_on_populate_timeout = 'boolean', shaping_data_populate_timeout = 'string',
  allow_stale_shaping_data = 'boolean',
  -- Sluice's additions
  config_monitor_interval = 'string', subscribe_max_retry_interval = 'string',
}

local function set_of(list)
  local set = {}
  for _, v in ipairs(list or {}) do
    set[v] = true
  end
  return set
end

-- The log record types (skip_log_record_types and additional_skip_log_record_types name them).
local RECORD_TYPES = {
  'AdminBounce', 'AdminRebind', 'Bounce', 'DeferredInjectionRebind', 'Delayed', 'Delivery', 'Expiration',
  'Feedback', 'OOB', 'Reception', 'Rejection', 'TransientFailure', 'XferIn', 'XferOut',
}
local RECORD_TYPE_SET = set_of(RECORD_TYPES)

-- Keys of KumoMTA's queue config that Sluice's scheduled queues accept but do not act on: for the publisher's
-- queue (tsa_queue_config) they are refused, not ignored.
local UNIMPLEMENTED_QUEUE_KEYS = set_of { 'provider_name', 'strategy', 'timerwheel_tick_interval' }

local function check_options(options)
  if type(options) ~= 'table' then
    error('policy-extras.shaping: setup_with_automation takes a table of options', 3)
  end
  for key, value in pairs(options) do
    local want = KNOWN_OPTIONS[key]
    if want == nil then
      error(string.format("policy-extras.shaping: setup_with_automation: unknown option '%s'", tostring(key)), 3)
    end
    if type(value) ~= want then
      error(string.format("policy-extras.shaping: setup_with_automation: option '%s' must be a %s, got %s",
        key, want, type(value)), 3)
    end
  end
  for _, key in ipairs { 'publish', 'subscribe' } do
    for _, url in ipairs(options[key] or {}) do
      if type(url) ~= 'string' or not url:match('^https?://[^/]') then
        error(string.format("policy-extras.shaping: setup_with_automation: %s entries are http(s) URLs of a TSA daemon, got '%s'",
          key, tostring(url)), 3)
      end
    end
  end
  for _, key in ipairs { 'skip_log_record_types', 'additional_skip_log_record_types' } do
    for _, t in ipairs(options[key] or {}) do
      if not RECORD_TYPE_SET[t] then
        error(string.format("policy-extras.shaping: setup_with_automation: %s: '%s' is not a log record type "
          .. '(one of %s)', key, tostring(t), table.concat(RECORD_TYPES, ', ')), 3)
      end
    end
  end
  for key in pairs(options.tsa_queue_config or {}) do
    if UNIMPLEMENTED_QUEUE_KEYS[key] then
      error(string.format("policy-extras.shaping: setup_with_automation: tsa_queue_config: '%s' is not implemented "
        .. "by Sluice (its queues would ignore it); remove it", tostring(key)), 3)
    end
  end
end

-- "http://host:8008/" → "http://host:8008"
local function base_url(url)
  return (url:gsub('/+$', ''))
end

-- The connection of a publish queue: one POST per log record; every failure is transient (a daemon
-- that refuses a record now may take it after a restart or a fix: nothing is dropped).
local function publisher(endpoint, options)
  return function()
    return support.json_post_connection(endpoint .. '/publish_log_v1', {
      timeout = options.publish_timeout or '1 minute',
      pool_idle_timeout = options.publish_pool_idle_timeout,
      connection_verbose = options.publish_connection_verbose,
    }, 'TSA ', function()
      return true
    end)
  end
end

-- The admin call for one pushed item, or nil and a reason for an item this MTA cannot apply.
local function action_for(kind, item)
  local reason = string.format('%s (rule_hash=%s)', tostring(item.reason), tostring(item.rule_hash))
  if kind == 'ReadyQSuspension' or kind == 'ReadyQ' then
    local name = item.site_name
    -- Sluice's log records carry the MX site; its ready queues are named "source->site@smtp_client"
    if type(name) == 'string' and item.source and not name:find('->', 1, true) then
      name = string.format('%s->%s@smtp_client', item.source, name)
    end
    return 'suspend_ready_q', function()
      return kumo.api.admin.suspend_ready_q.suspend { name = name, reason = reason, expires = item.expires }
    end, name
  elseif kind == 'SchedQSuspension' or kind == 'SchedQ' then
    return 'suspend', function()
      return kumo.api.admin.suspend.suspend {
        domain = item.domain, tenant = item.tenant, campaign = item.campaign, reason = reason, expires = item.expires,
      }
    end, string.format('domain=%s tenant=%s campaign=%s', tostring(item.domain), tostring(item.tenant), tostring(item.campaign))
  elseif kind == 'SchedQBounce' then
    return 'bounce', function()
      return kumo.api.admin.bounce.bounce {
        domain = item.domain, tenant = item.tenant, campaign = item.campaign, reason = reason, expires = item.expires,
      }
    end, string.format('domain=%s tenant=%s campaign=%s', tostring(item.domain), tostring(item.tenant), tostring(item.campaign))
  end
  return nil
end

-- Applies one websocket message; an item that cannot be applied is logged, the stream goes on.
local function apply_message(url, text, complained)
  local ok, data = pcall(kumo.json_parse, text)
  if not ok or type(data) ~= 'table' then
    kumo.log_error(string.format('policy-extras.shaping: TSA %s sent a message that is not JSON: %s', url, tostring(text)))
    return
  end
  local kind, item = next(data)
  local what, apply, target = nil, nil, nil
  if type(item) == 'table' then
    what, apply, target = action_for(kind, item)
  end
  if not what then
    if not complained[tostring(kind)] then
      complained[tostring(kind)] = true
      kumo.log_error(string.format('policy-extras.shaping: TSA %s sent an action this MTA does not know: %s', url, text))
    end
    return
  end
  local applied, err = pcall(apply)
  if applied then
    -- the MTA's admin log line is the record of the action (once: the same item sent again on a reconnect is
    -- the entry already in force), and of its expiry
    kumo.log_debug(string.format('policy-extras.shaping: TSA %s: %s %s until %s: %s', url, kind, target,
      tostring(item.expires), tostring(item.reason)))
  else
    kumo.log_error(string.format('policy-extras.shaping: TSA %s: applying %s %s failed: %s', url, kind, target,
      support.reason(err)))
  end
end

-- The subscriber task of one TSA URL: forever connect, apply what arrives, reconnect with back-off.
local function subscriber(url, max_backoff)
  local ws_url = url:gsub('^http', 'ws') .. '/subscribe_event_v1'
  local backoff = 1
  local outage = nil -- the error of the outage being waited out; logged when it began
  local complained = {}
  while true do
    local ok, stream = pcall(kumo.http.connect_websocket, ws_url)
    if ok then
      if outage then
        kumo.log_info(string.format('policy-extras.shaping: TSA %s reachable again; subscribed', url))
      else
        kumo.log_info(string.format('policy-extras.shaping: TSA %s: subscribed', url))
      end
      outage = nil
      backoff = 1
      local err
      while true do
        local got, text = pcall(stream.recv, stream)
        if not got then
          err = support.reason(text)
          break
        end
        if text == nil then
          err = 'the daemon closed the subscription'
          break
        end
        apply_message(url, text, complained)
      end
      pcall(stream.close, stream)
      outage = err
      kumo.log_error(string.format('policy-extras.shaping: TSA %s: subscription lost (%s); delivering with the '
        .. 'shaping in force, reconnecting', url, err))
    elseif not outage then
      outage = support.reason(stream)
      kumo.log_error(string.format('policy-extras.shaping: TSA %s unreachable (%s); delivering with the local '
        .. 'shaping files, reconnecting with back-off (logged once until it is back)', url, outage))
    end
    kumo.sleep(backoff)
    backoff = math.min(backoff * 2, max_backoff)
  end
end

-- The SetConfig / SetDomainConfig overrides in force at a Sluice TSA daemon (its /sluice/config_overrides_v1);
-- false from a daemon without that route (KumoMTA's), nil and the error while it cannot be asked.
local function fetch_overrides(client, url)
  local ok, response = pcall(function()
    return client:get(url .. '/sluice/config_overrides_v1'):send()
  end)
  if not ok then
    return nil, support.reason(response)
  end
  if response:status_code() == 404 then
    return false
  end
  if not response:status_is_success() then
    return nil, string.format('%d %s', response:status_code(), response:status_reason())
  end
  local parsed, list = pcall(kumo.json_parse, response:text())
  if not parsed or type(list) ~= 'table' then
    return nil, 'the overrides are not a JSON list'
  end
  return list
end

-- Sluice's kumo.api.admin.config_overrides (sluice mta only), or nil.
local function fleet_overrides()
  local api = rawget(kumo, 'api')
  local admin = type(api) == 'table' and rawget(api, 'admin')
  local overrides = type(admin) == 'table' and rawget(admin, 'config_overrides')
  return type(overrides) == 'table' and overrides or nil
end

local function describe_override(o)
  local value = type(o.value) == 'table' and kumo.json_encode(o.value) or tostring(o.value)
  local scope = o.mx_rollup and ('the site of ' .. tostring(o.domain)) or tostring(o.domain)
  return string.format('SetConfig %s=%s for %s from source %s', tostring(o.name), value, scope, tostring(o.source))
end

-- Logs each override of a daemon once as it comes into force (again only when its expiry moves) and once when it
-- is gone: known (key -> override) is what was logged; returns the overrides now in force by key. A daemon that
-- cannot be asked keeps what was known (its overrides come back with it, and are not logged twice).
local function log_overrides(url, list, known)
  local now = {}
  for _, o in ipairs(list) do
    local key = table.concat({ tostring(o.rule_hash), tostring(o.domain), tostring(o.source), tostring(o.name) }, '|')
    now[key] = o
    local before = known[key]
    if before == nil or before.expires ~= o.expires then
      kumo.log_info(string.format('policy-extras.shaping: TSA %s: %s until %s: %s', url, describe_override(o),
        tostring(o.expires), tostring(o.reason)))
    end
  end
  for key, o in pairs(known) do
    if now[key] == nil then
      kumo.log_info(string.format('policy-extras.shaping: TSA %s: %s ended (expired at %s)', url,
        describe_override(o), tostring(o.expires)))
    end
  end
  return now
end

local function parse_seconds(text, what)
  local ok, delta = pcall(kumo.time.parse_duration, text)
  local seconds = ok and delta.seconds
  if not ok or type(seconds) ~= 'number' or seconds <= 0 then
    error(string.format("policy-extras.shaping: setup_with_automation: %s must be a duration such as '30s', got '%s'",
      what, tostring(text)), 0)
  end
  return seconds
end

function shaping:setup_with_automation(options)
  check_options(options)
  if shaping.CONFIGURED then
    error('policy-extras.shaping: the shaping helper is already configured (setup or setup_with_automation, once per policy)', 2)
  end
  local publish_urls, subscribe_urls = {}, {}
  for _, url in ipairs(options.publish or {}) do
    publish_urls[#publish_urls + 1] = base_url(url)
  end
  for _, url in ipairs(options.subscribe or {}) do
    subscribe_urls[#subscribe_urls + 1] = base_url(url)
  end
  local monitor_seconds = parse_seconds(options.config_monitor_interval or '30s', 'config_monitor_interval')
  local max_backoff = parse_seconds(options.subscribe_max_retry_interval or '30s', 'subscribe_max_retry_interval')

  local skip = set_of(options.skip_log_record_types or UNINTERESTING_RECORD_TYPES)
  for _, t in ipairs(options.additional_skip_log_record_types or {}) do
    skip[t] = true
  end
  local pre_filter = options.pre_filter ~= false

  local local_files = file_list(options)
  local files = {}
  for _, f in ipairs(local_files) do
    files[#files + 1] = f
  end
  for _, url in ipairs(subscribe_urls) do
    files[#files + 1] = url .. '/get_config_v1/shaping.toml'
  end
  local load_options = options.load_validation_options
  local cached = kumo.memoize(load_shaping_data, {
    name = 'policy-extras.shaping',
    ttl = options.cache_ttl or '5 minutes',
    capacity = 4,
    invalidate_with_epoch = true,
    populate_timeout = options.shaping_data_populate_timeout,
    retry_on_populate_timeout = options.retry_shaping_data_fetch_on_populate_timeout,
    allow_stale_reads = options.allow_stale_shaping_data,
  })
  -- read the local files once now, so that a mistake in one stops the start with its name and block
  -- (the TSA's overlay is not needed to start: delivery goes on without it)
  local startup_options = {}
  utils.merge_into(load_options, startup_options)
  startup_options.skip_remote = true
  check(load_shaping_data(local_files, startup_options))

  -- with kumo.configure_redis_throttles in sluice mta, the fleet's TSA overrides (kumo.api.admin.config_overrides,
  -- shared through Redis by the nodes that subscribe) are one more file, loaded last
  local function load()
    local overlay = fleet_overrides() and fleet_overrides().overlay_file()
    if overlay then
      local with_fleet = {}
      for i, f in ipairs(files) do
        with_fleet[i] = f
      end
      with_fleet[#with_fleet + 1] = overlay
      return cached(with_fleet, load_options)
    end
    return cached(files, load_options)
  end

  local function get_egress_path_config(domain, egress_source, site_name, skip_make)
    local params = load():get_egress_path_config(domain, egress_source, site_name)
    if params.refresh_strategy == nil then
      params.refresh_strategy = 'Epoch' -- TSA overrides arrive as epoch bumps
    end
    if skip_make then
      return params
    end
    return kumo.make_egress_path(params)
  end

  -- publishing: a log hook and a custom_lua queue per URL
  local publish = {} -- hook name (= queue name) → URL
  for _, url in ipairs(publish_urls) do
    local hook_name = url .. '.tsa.kumomta'
    local constructor = 'make.' .. hook_name
    publish[hook_name] = url
    local queue_config = { retry_interval = '1m', max_retry_interval = '20m' }
    utils.merge_into(options.tsa_queue_config, queue_config)
    queue_config.protocol = { custom_lua = { constructor = constructor } }
    kumo.make_queue_config(queue_config) -- a bad tsa_queue_config fails here, at setup
    kumo.on('get_queue_config', function(domain)
      if domain == hook_name then
        return kumo.make_queue_config(queue_config)
      end
      return nil
    end)
    kumo.on(constructor, publisher(url, options))
  end
  if next(publish) then
    kumo.on('should_enqueue_log_record', function(msg, hook_name)
      if not publish[hook_name] then
        return nil -- another helper's hook
      end
      local record = msg:get_meta('log_record')
      if type(record) ~= 'table' or record.reception_protocol == 'LogRecord' or publish[record.queue] then
        return false -- the publisher's own deliveries would feed it forever
      end
      if skip[record.type] then
        return false
      end
      if pre_filter then
        local ok, matched = pcall(function()
          return #load():match_rules(record) > 0
        end)
        if not ok or not matched then
          return false
        end
      end
      msg:set_meta('queue', hook_name)
      return true
    end)
  end

  -- subscribing: the tasks' events (tasks start from setup_publish, in init)
  local subscribe_event = 'policy-extras.shaping.tsa_subscriber'
  local monitor_event = 'policy-extras.shaping.tsa_config_monitor'
  if #subscribe_urls > 0 then
    kumo.on(subscribe_event, function(args)
      subscriber(args[1], max_backoff)
    end)
    kumo.on(monitor_event, function()
      local last_hash = nil
      local client = kumo.http.build_client { timeout = '5s' }
      local known = {} -- subscribe URL -> the overrides logged (false: the daemon does not list them)
      while true do
        local ok, data = pcall(load_shaping_data, files, load_options)
        if ok then
          local hash = data:hash()
          if last_hash ~= nil and hash ~= last_hash then
            kumo.log_info('policy-extras.shaping: shaping data changed (TSA overrides); new path configs from now on')
            for _, e in ipairs(data:get_errors()) do
              kumo.log_error('policy-extras.shaping: ' .. e)
            end
            kumo.bump_config_epoch()
          end
          last_hash = hash
        else
          kumo.log_error('policy-extras.shaping: reloading the shaping data failed: ' .. support.reason(data))
        end
        for _, url in ipairs(subscribe_urls) do
          if known[url] ~= false then
            local list = fetch_overrides(client, url)
            if list == false then
              known[url] = false
            elseif list then
              known[url] = log_overrides(url, list, known[url] or {})
              if fleet_overrides() then -- the other nodes of a fleet sharing Redis hold them too
                local shared, err = pcall(fleet_overrides().share, list)
                if not shared then
                  kumo.log_error('policy-extras.shaping: sharing the overrides of TSA ' .. url .. ' failed: '
                    .. support.reason(err))
                end
              end
            end
          end
        end
        collectgarbage()
        kumo.sleep(monitor_seconds)
      end
    end)
  end

  local function setup_publish()
    local per_record = {}
    for t in pairs(skip) do
      per_record[t] = { enable = false }
    end
    for hook_name in pairs(publish) do
      kumo.configure_log_hook { name = hook_name, per_record = per_record, back_pressure = options.back_pressure }
    end
    for _, url in ipairs(subscribe_urls) do
      kumo.spawn_task { event_name = subscribe_event, args = { url } }
    end
    if #subscribe_urls > 0 then
      kumo.spawn_task { event_name = monitor_event, args = {} }
    end
  end

  -- sluice check (validate_config): the local files graded by validation_options, and every source
  -- they name defined by the sources helper (when the policy uses it)
  kumo.on('validate_config', function()
    local vopts = options.validation_options or {
      aliased_site = 'Warn', dns_fail = 'Warn', null_mx = 'Warn', provider_overlap = 'Warn',
      local_load = 'Error', skip_remote = true,
    }
    local ok, data = pcall(kumo.shaping.load, local_files, vopts)
    if not ok then
      kumo.log_error('policy-extras.shaping: ' .. support.reason(data))
      kumo.validation_failed()
      return
    end
    for _, w in ipairs(data:get_warnings()) do
      kumo.log_warn('policy-extras.shaping: ' .. w)
    end
    local failed = false
    for _, e in ipairs(data:get_errors()) do
      kumo.log_error('policy-extras.shaping: ' .. e)
      failed = true
    end
    local sources = package.loaded['policy-extras.sources']
    if type(sources) == 'table' and sources.CONFIGURED then
      local defined = sources.CONFIGURED.get_data().sources
      for source, refs in pairs(data:get_referenced_sources()) do
        if defined[source] == nil then
          kumo.log_error(string.format("policy-extras.shaping: source '%s' is named by %s but not defined in %s",
            source, table.concat(refs, ', '), support.describe_files(sources.CONFIGURED.data_files)))
          failed = true
        end
      end
    end
    if failed then
      kumo.validation_failed()
    end
  end)

  shaping.CONFIGURED = {
    _file_names = files,
    _options = options,
    get_egress_path_config = get_egress_path_config,
    setup_publish = setup_publish,
    load_shaping_data = load,
  }
  return shaping.CONFIGURED
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
