-- Sluice's log_hooks helper: log records delivered to your own code or to a JSON webhook, through
-- a queue of their own (retried, visible in the queue summary), for policies written for KumoMTA's
-- helper of the same name.
--
--   local log_hooks = require 'policy-extras.log_hooks'
--   log_hooks:new_json { name = 'webhook', url = 'http://127.0.0.1:4242/log',
--                        log_parameters = { headers = { 'Subject' } } }
--
-- new{name, constructor, log_parameters?, queue_config?, batch_size?, min_batch_size?,
--     max_batch_latency?, filter?}:
--   every log record (except the hook's own) becomes a message in the queue "<name>.log_hook",
--   delivered by constructor(domain, tenant, campaign), which returns a connection whose
--   send(message) delivers message:get_data() (the record as JSON) or raises; filter(msg, name)
--   returning true drops a record. queue_config overrides the retry settings (1 minute, at most
--   20 minutes apart).
-- new_json{name, url, ...}: new with a constructor that POSTs each record as application/json.
--   2xx is delivered; 5xx, 408, 429 and a receiver that cannot be reached are retried; another
--   4xx is a permanent failure (KumoMTA's helper treats every non-2xx as permanent and drops it).
-- new_disposition_hook{name, hook}: hook(msg, record) is called for every log record about a message
--   (kumo.configure_log_disposition_hook): msg is the message as it was when the record was made,
--   record the log record as a table. Nothing is queued; an error in hook is logged and skipped.
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'
local support = require 'policy-extras.support'

local log_hooks = { CONFIGURED = {} }

local OPTIONS = {
  name = 'string', constructor = 'function', log_parameters = 'table', queue_config = 'table',
  batch_size = 'number', min_batch_size = 'number', max_batch_latency = 'string', filter = 'function',
}

local function check_options(options, allowed, what)
  if type(options) ~= 'table' then
    error(string.format('policy-extras.log_hooks: %s takes a table of options', what), 3)
  end
  for key, value in pairs(options) do
    local want = allowed[key]
    if want == nil then
      error(string.format("policy-extras.log_hooks: %s: unknown option '%s'", what, key), 3)
    end
    if type(value) ~= want then
      error(string.format("policy-extras.log_hooks: %s: option '%s' must be a %s, got %s", what, key, want, type(value)), 3)
    end
  end
  if options.name == nil then
    error(string.format("policy-extras.log_hooks: %s: 'name' is required", what), 3)
  end
  if log_hooks.CONFIGURED[options.name] then
    error(string.format("policy-extras.log_hooks: a log hook named '%s' is already configured", options.name), 3)
  end
end

local function new_hook(options)
  log_hooks.CONFIGURED[options.name] = options
  local queue_name = options.name .. '.log_hook'
  local constructor_event = 'make.' .. queue_name

  kumo.on('pre_init', function()
    local params = { name = options.name }
    utils.merge_into(options.log_parameters, params)
    kumo.configure_log_hook(params)
  end)

  kumo.on('should_enqueue_log_record', function(msg, hook_name)
    if hook_name ~= options.name then
      return nil
    end
    local record = msg:get_meta('log_record')
    -- the records of the hook's own deliveries would feed the hook forever
    if type(record) == 'table' and record.reception_protocol == 'LogRecord' then
      return false
    end
    if options.filter and options.filter(msg, hook_name) then
      return false
    end
    msg:set_meta('queue', queue_name)
    return true
  end)

  local queue_config = { retry_interval = '1m', max_retry_interval = '20m' }
  utils.merge_into(options.queue_config, queue_config)
  queue_config.protocol = {
    custom_lua = {
      constructor = constructor_event,
      batch_size = options.batch_size,
      min_batch_size = options.min_batch_size,
      max_batch_latency = options.max_batch_latency,
    },
  }
  kumo.make_queue_config(queue_config) -- a bad queue_config fails here, at the caller's setup
  kumo.on('get_queue_config', function(domain)
    if domain ~= queue_name then
      return nil
    end
    return kumo.make_queue_config(queue_config)
  end)
  kumo.on(constructor_event, options.constructor)
end

function log_hooks:new(options)
  check_options(options, OPTIONS, 'new')
  if options.constructor == nil then
    error("policy-extras.log_hooks: new: 'constructor' is required", 2)
  end
  new_hook(options)
end

local JSON_OPTIONS = {}
for k, v in pairs(OPTIONS) do
  JSON_OPTIONS[k] = v
end
JSON_OPTIONS.constructor = nil
JSON_OPTIONS.url = 'string'

local function retryable(status)
  return status >= 500 or status == 408 or status == 429
end

function log_hooks:new_json(options)
  check_options(options, JSON_OPTIONS, 'new_json')
  if options.url == nil then
    error("policy-extras.log_hooks: new_json: 'url' is required", 2)
  end
  local hook = {}
  utils.merge_into(options, hook)
  local url = hook.url
  hook.url = nil
  hook.constructor = function()
    return support.json_post_connection(url, {}, '', retryable)
  end
  new_hook(hook)
end

local DISPOSITION_OPTIONS = { name = 'string', hook = 'function' }

function log_hooks:new_disposition_hook(options)
  check_options(options, DISPOSITION_OPTIONS, 'new_disposition_hook')
  if options.hook == nil then
    error("policy-extras.log_hooks: new_disposition_hook: 'hook' is required", 2)
  end
  log_hooks.CONFIGURED[options.name] = options
  kumo.on('pre_init', function()
    kumo.configure_log_disposition_hook { name = options.name }
  end)
  kumo.on('log_disposition_' .. options.name, options.hook)
end

return log_hooks
