-- Sluice's policy_utils: small table and string helpers that the other policy-extras modules (and
-- policies written for KumoMTA) use. Same names and arguments as KumoMTA's helper of that name.
local kumo = require 'kumo'

local utils = {}

local function is_container(v)
  return type(v) == 'table' or type(v) == 'userdata'
end

-- Deep equality of two values; tables compare by content. With ignore_mt, two tables with
-- different metatables may still be equal.
function utils.equals(a, b, ignore_mt)
  if a == b then
    return true
  end
  if type(a) ~= 'table' or type(b) ~= 'table' then
    return false
  end
  if not ignore_mt and getmetatable(a) ~= getmetatable(b) then
    return false
  end
  for k, v in pairs(a) do
    if not utils.equals(v, b[k], ignore_mt) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end

local function describe(v)
  if is_container(v) then
    local ok, text = pcall(kumo.json_encode, v)
    if ok then
      return text
    end
  end
  return tostring(v)
end

function utils.assert_eq(actual, expected, message)
  if not utils.equals(actual, expected) then
    error(string.format('%sexpected %s, got %s', message and (message .. ': ') or '',
      describe(expected), describe(actual)), 2)
  end
end

function utils.assert_ne(actual, unexpected, message)
  if utils.equals(actual, unexpected) then
    error(string.format('%sexpected a value other than %s', message and (message .. ': ') or '',
      describe(unexpected)), 2)
  end
end

-- Raises unless the string `text` matches the regular expression `pattern` (kumo.regex syntax).
function utils.assert_matches(text, pattern, message)
  if not kumo.regex.compile(pattern):is_match(text) then
    error(string.format('%s%s does not match /%s/', message and (message .. ': ') or '',
      describe(text), pattern), 2)
  end
end

-- Copies every key of src into dest (one level; nil src is nothing to copy).
function utils.merge_into(src, dest)
  for k, v in pairs(src or {}) do
    dest[k] = v
  end
end

-- Like merge_into, but a table value merges into the table already at that key.
function utils.recursive_merge_into(src, dest)
  for k, v in pairs(src or {}) do
    if type(v) == 'table' and type(dest[k]) == 'table' then
      utils.recursive_merge_into(v, dest[k])
    else
      dest[k] = v
    end
  end
end

function utils.table_contains(tbl, value)
  if value == nil then
    return false
  end
  for _, v in pairs(tbl) do
    if v == value then
      return true
    end
  end
  return false
end

function utils.table_keys(tbl)
  local keys = {}
  for k in pairs(tbl) do
    keys[#keys + 1] = k
  end
  return keys
end

function utils.table_is_empty(tbl)
  return next(tbl) == nil
end

-- A data file for a helper: a Lua table is used as it is, a name ending in .toml is TOML, anything
-- else is JSON (comments allowed, as kumo.json_load allows them).
function utils.load_json_or_toml_file(file)
  if type(file) == 'table' then
    return file
  end
  if type(file) ~= 'string' then
    error('expected a file name or a table, got ' .. type(file), 2)
  end
  if file:sub(-5) == '.toml' then
    return kumo.toml_load(file)
  end
  return kumo.json_load(file)
end

function utils.starts_with(s, prefix)
  return s:sub(1, #prefix) == prefix
end

function utils.ends_with(s, suffix)
  return suffix == '' or s:sub(-#suffix) == suffix
end

-- "10.0.0.1:25" -> "10.0.0.1", "25"; "[::1]:25" -> "::1", "25". nil when there is no port.
function utils.split_ip_port(text)
  local host, port = text:match('^(.*):(%d+)$')
  if host == nil then
    return nil
  end
  return host:match('^%[(.*)%]$') or host, port
end

local function dump(value, indent, seen, out)
  if type(value) ~= 'table' then
    out[#out + 1] = type(value) == 'string' and string.format('%q', value) or tostring(value)
    return
  end
  if seen[value] then
    out[#out + 1] = '<cycle>'
    return
  end
  seen[value] = true
  local keys = utils.table_keys(value)
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  out[#out + 1] = '{\n'
  for _, k in ipairs(keys) do
    out[#out + 1] = indent .. '  [' .. (type(k) == 'string' and string.format('%q', k) or tostring(k)) .. '] = '
    dump(value[k], indent .. '  ', seen, out)
    out[#out + 1] = ',\n'
  end
  out[#out + 1] = indent .. '}'
  seen[value] = nil
end

-- Human-readable text of any value, keys sorted, for log lines and test failures.
function utils.dumps(value)
  local out = {}
  dump(value, '', {}, out)
  return table.concat(out)
end

return utils
