-- Sluice's Lua half of the `kumo` module. Run once per Lua state, before the policy file,
-- with a table of Java primitives. Returns the functions the Java side calls.
local native = ...

local handlers = {}          -- event name -> list of handler functions
local registrars = {}        -- event name -> one call stack ({"short_src:line", ...}) per kumo.on
local first_at = {}          -- event name -> "file:line" of its first registration
local multiple = native.multiple   -- events that take several handlers
local run_all = native.run_all     -- of those, the ones whose handlers all run whatever they return
local current_event = nil          -- the event whose handlers are running, nil at the top level

-- Every policy call is bounded in time (Policy's call timeout). A count hook asks Java every
-- native.hook_count instructions whether the call's deadline has passed; once it has, the hook
-- raises "file:line: policy call exceeded N s" at the running line, and from then on at every
-- instruction of policy code, so a pcall in the policy cannot swallow it and carry on.
-- Code of this file is exempt, so dispatch can still report the error.
local sethook, getinfo = debug.sethook, debug.getinfo
local hook_count = native.hook_count
local overrun = nil          -- the error text once the running call is over its deadline

local function hook()
  if overrun == nil then
    overrun = native.overdue()
    if overrun == nil then return end
  end
  sethook(hook, '', 1)
  local info = getinfo(2, 'S')
  if info == nil or info.source == '=sluice-bootstrap' then return end
  error(overrun, 2)
end

local function arm()
  overrun = nil
  sethook(hook, '', hook_count)
end
arm()

-- Hooks are per coroutine: give each new one the same bound.
local co_create, co_wrap = coroutine.create, coroutine.wrap
coroutine.create = function(f)
  local co = co_create(f)
  sethook(co, hook, '', hook_count)
  return co
end
coroutine.wrap = function(f)
  if type(f) ~= 'function' then return co_wrap(f) end
  return co_wrap(function(...)
    sethook(hook, '', hook_count)
    return f(...)
  end)
end
debug.sethook = function()
  error('debug.sethook is not available to a policy: Sluice bounds each policy call with it', 2)
end

-- A callable placeholder for an API Sluice does not implement: calling it (at any depth,
-- e.g. kumo.api.admin.bounce()) raises "<path> is not implemented" at the caller's line.
local function stub(path)
  return setmetatable({}, {
    __call = function() error(path .. ' is not implemented', 2) end,
    __index = function(_, k) return stub(path .. '.' .. tostring(k)) end,
  })
end

local function module_table(path)
  return setmetatable({}, {
    __index = function(_, k) return stub(path .. '.' .. tostring(k)) end,
  })
end

local kumo = module_table('kumo')
for _, name in ipairs(native.submodules) do
  rawset(kumo, name, module_table('kumo.' .. name))
end

-- The registering code's call stack as KumoMTA records it for kumo.get_event_registrars: one
-- "short_src:line" per frame, from the caller of kumo.on outwards.
local function call_stack()
  local stack = {}
  local level = 3
  while true do
    local info = getinfo(level, 'Sl')
    if info == nil then break end
    stack[#stack + 1] = info.short_src .. ':' .. math.max(info.currentline or 0, 0)
    level = level + 1
  end
  return stack
end

-- KumoMTA's kumo.on: a multi-handler event (KumoApi.MULTIPLE_HANDLER_EVENTS) appends; any other event
-- takes one handler, and a second registration is an error naming the first one (the reference page
-- says "the last one wins": silently dropping a helper's handler is worse, so Sluice, like KumoMTA's
-- current code, refuses). Registering from inside a running event handler is an error too: the handler
-- would exist in that one Lua state only.
function kumo.on(name, fn)
  if type(name) ~= 'string' then
    error('kumo.on: event name must be a string, got ' .. type(name), 2)
  end
  if type(fn) ~= 'function' then
    error("kumo.on('" .. name .. "'): handler must be a function, got " .. type(fn), 2)
  end
  if current_event ~= nil then
    error("kumo.on('" .. name .. "'): cannot register an event handler from inside the handler of '"
        .. current_event .. "'; register it at the top level of the policy file", 2)
  end
  local list = handlers[name]
  if list ~= nil and not multiple[name] then
    error(name .. ' event already has a handler defined at ' .. first_at[name], 2)
  end
  if list == nil then
    list = {}
    handlers[name] = list
    local info = getinfo(2, 'Sl')
    local source = info.source:sub(1, 1) == '@' and info.source:sub(2) or info.short_src
    first_at[name] = source .. ':' .. math.max(info.currentline or 0, 0)
  end
  list[#list + 1] = fn
  local stacks = registrars[name] or {}
  stacks[#stacks + 1] = call_stack()
  registrars[name] = stacks
end

-- kumo.get_event_registrars(name): nil, or per kumo.on(name, ...) call the registering call stack.
rawset(kumo, 'get_event_registrars', function(name)
  local stacks = registrars[name]
  if stacks == nil then return nil end
  local copy = {}
  for i, stack in ipairs(stacks) do copy[i] = table.move(stack, 1, #stack, 1, {}) end
  return copy
end)

-- kumo.reject(code, text): ends the running event with that reply. The error is a table with
-- a private metatable, so dispatch can tell it from any other error and hand code and text to
-- Java (native.rejected) as typed values rather than text to be matched; a policy that prints
-- it (pcall + tostring) sees "file:line: kumo.reject(code, text)".
local REJECT = {}
REJECT.__index = REJECT
REJECT.__tostring = function(r) return r.where .. 'kumo.reject(' .. r.code .. ', ' .. r.text .. ')' end

rawset(kumo, 'reject', function(code, text)
  if math.type(code) ~= 'integer' and not (type(code) == 'number' and code == math.floor(code)) then
    error('kumo.reject: code must be an integer, got ' .. tostring(code), 2)
  end
  code = math.tointeger(code)
  if code < 400 or code > 599 then
    error('kumo.reject: code must be a 4xx or 5xx reply code, got ' .. code, 2)
  end
  if type(text) ~= 'string' then
    error('kumo.reject: text must be a string, got ' .. type(text), 2)
  end
  local info = getinfo(2, 'Sl')
  local where = (info and info.currentline and info.currentline > 0)
      and (info.short_src .. ':' .. info.currentline .. ': ') or ''
  error(setmetatable({ code = code, text = text, where = where }, REJECT), 0)
end)

local function joined(...)
  local parts = {}
  for i = 1, select('#', ...) do
    parts[i] = tostring((select(i, ...)))
  end
  return table.concat(parts, ' ')
end

for _, level in ipairs({ 'debug', 'info', 'warn', 'error' }) do
  rawset(kumo, 'log_' .. level, function(...) native.log(level, joined(...)) end)
end

-- Delivery through a queue's custom_lua protocol (KumoApi.CUSTOM_LUA_DELIVER): the constructor
-- event makes a connection for (domain, tenant, campaign); its send(message), or send_batch({message})
-- when batched, delivers and returns the disposition text, or raises (kumo.reject: 4xx retry later,
-- 5xx permanent; any other error: retry later). close() runs afterwards when the connection has one.
-- One connection per message: a connection never outlives the call (Lua states are pooled).
local function custom_lua_deliver(constructor, batched, domain, tenant, campaign, message)
  local list = handlers[constructor]
  if list == nil then
    error("custom_lua: no handler for the constructor event '" .. constructor
      .. "' (register one with kumo.on)", 0)
  end
  local conn = list[#list](domain, tenant, campaign)
  if type(conn) ~= 'table' then
    local info = debug.getinfo(list[#list], 'S')
    error(info.short_src .. ':' .. info.linedefined .. ': custom_lua: ' .. constructor
      .. ' returned ' .. type(conn) .. ', expected a connection table with a send method', 0)
  end
  local method = batched and 'send_batch' or 'send'
  local send = conn[method]
  if type(send) ~= 'function' then
    local info = debug.getinfo(list[#list], 'S')
    error(info.short_src .. ':' .. info.linedefined .. ': custom_lua: the connection made by ' .. constructor
      .. ' has no ' .. method .. ' method', 0)
  end
  local ok, result
  if batched then
    ok, result = pcall(send, conn, { message })
  else
    ok, result = pcall(send, conn, message)
  end
  if type(conn.close) == 'function' then
    local closed, why = pcall(conn.close, conn)
    if not closed then native.log('warn', 'custom_lua: close() of ' .. constructor .. ' failed: ' .. tostring(why)) end
  end
  if not ok then error(result, 0) end
  if result == nil then return '' end
  return tostring(result)
end

handlers[native.custom_lua_deliver] = { custom_lua_deliver } -- Sluice's own, not listed by handler_names

package.loaded.kumo = kumo
_G.kumo = kumo
package.path = native.policy_dir .. '/?.lua;' .. native.policy_dir .. '/?/init.lua;' .. package.path

-- Finds or creates the table for 'kumo', 'kumo.dns', 'proxy', ...
local function module_for(path)
  local first, rest = path:match('^([^.]+)%.?(.*)$')
  local t = package.loaded[first]
  if t == nil then
    t = module_table(first)
    package.loaded[first] = t
    _G[first] = t
  end
  local so_far = first
  for part in rest:gmatch('[^.]+') do
    so_far = so_far .. '.' .. part
    local sub = rawget(t, part)
    if sub == nil then
      sub = module_table(so_far)
      rawset(t, part, sub)
    end
    t = sub
  end
  return t
end

local function define(path, name, fn)
  rawset(module_for(path), name, fn)
end

local function as_string_error(e)
  if type(e) == 'string' or getmetatable(e) == REJECT then return e end
  return tostring(e)
end

-- Single-handler events have one entry; multi-handler events run in registration order until one
-- returns a non-nil value (get_queue_config), or all of them whatever they return (pre_init,
-- validate_config). While they run, kumo.on refuses new registrations.
local function run_handlers(name, list, ...)
  for i = 1, #list do
    local ok, result = xpcall(list[i], as_string_error, ...)
    if not ok and getmetatable(result) == REJECT then
      native.rejected(result.code, result.text)
      error(tostring(result), 0)
    end
    if not ok then
      -- A tail call (`return kumo.x{}`) leaves no frame to report a line for; point at the
      -- handler's definition instead so the message still reads file:line: reason.
      if not result:match('^[^\n]-:%d+: ') then
        local info = debug.getinfo(list[i], 'S')
        result = info.short_src .. ':' .. info.linedefined .. ': ' .. result
      end
      error(result, 0)
    end
    if result ~= nil and not run_all[name] then return result end
  end
  return nil
end

local function dispatch(name, ...)
  if overrun ~= nil then arm() end -- the previous call ran over: back to the normal count
  local list = handlers[name]
  if list == nil then return nil end
  local outer = current_event
  current_event = name
  local ok, result = pcall(run_handlers, name, list, ...)
  current_event = outer
  if not ok then error(result, 0) end
  return result
end

-- The handlers of an event called from Lua inside a running call (kumo.invoke_get_egress_path_config):
-- like dispatch, first non-nil result wins, but errors pass through untouched (they already carry the
-- handler's file:line) and the running call's time bound stays as it is. Reached by Sluice's own module
-- scripts through the registry.
debug.getregistry()['sluice.invoke'] = function(name, ...)
  local list = handlers[name]
  if list == nil then return nil end
  for i = 1, #list do
    local result = list[i](...)
    if result ~= nil then return result end
  end
  return nil
end

local function handler_names()
  local names = {}
  for name in pairs(handlers) do
    if name ~= native.custom_lua_deliver then names[#names + 1] = name end
  end
  return names
end

return { dispatch = dispatch, define = define, handler_names = handler_names }
