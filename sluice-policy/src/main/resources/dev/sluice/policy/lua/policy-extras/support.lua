-- Internal to Sluice's policy-extras (not a KumoMTA module): what the data-file helpers share.
local kumo = require 'kumo'
local utils = require 'policy-extras.policy_utils'

local support = {}

-- How a data file is named in errors: its path, or "(inline table)" for a Lua table.
function support.file_label(file)
  return type(file) == 'table' and '(inline table)' or tostring(file)
end

-- An error's text without the "file:line: " of the Lua line that raised it.
function support.reason(err)
  return (tostring(err):gsub('^[^\n]-:%d+: ', ''))
end

-- Raises "<file>: <block>: <text>" (no position: the file and block are the position).
function support.fail(file, block, text)
  error(string.format('%s: %s: %s', support.file_label(file), block, text), 0)
end

-- Reads a helper's data file (TOML by name, JSON otherwise, or a table), naming the file on error.
function support.read(file)
  local ok, doc = pcall(utils.load_json_or_toml_file, file)
  if not ok then
    error(string.format('%s: %s', support.file_label(file), support.reason(doc)), 0)
  end
  if type(doc) ~= 'table' then
    error(string.format('%s: expected a table at the top level', support.file_label(file)), 0)
  end
  return doc
end

-- The value for a domain in a table keyed by domain: the exact (lower-cased) name first, then the
-- closest "*.parent" key (a wildcard covers the names below its parent, not the parent itself).
function support.match_domain(by_domain, name)
  if by_domain == nil or name == nil then
    return nil
  end
  name = tostring(name):lower()
  if by_domain[name] ~= nil then
    return by_domain[name]
  end
  local parent = name:match('^[^.]*%.(.+)$')
  while parent do
    local v = by_domain['*.' .. parent]
    if v ~= nil then
      return v
    end
    parent = parent:match('^[^.]*%.(.+)$')
  end
  return nil
end

-- "a, b" of the files' labels.
function support.describe_files(files)
  local names = {}
  for _, f in ipairs(files) do
    names[#names + 1] = support.file_label(f)
  end
  return table.concat(names, ', ')
end

-- A custom_lua connection whose send POSTs each message's data (a log record) as JSON to url: 2xx
-- delivers; a receiver that cannot be reached is a transient failure (421); another status is
-- transient when keep(status) is true, permanent (550) otherwise. label starts each failure text.
function support.json_post_connection(url, client_options, label, keep)
  local client = kumo.http.build_client(client_options or {})
  local connection = {}
  function connection:send(message)
    local ok, response = pcall(function()
      return client:post(url):header('Content-Type', 'application/json'):body(message:get_data()):send()
    end)
    if not ok then
      kumo.reject(421, string.format('4.4.1 %s%s: %s', label, url, support.reason(response)))
    end
    local disposition = string.format('%d %s: %s', response:status_code(), response:status_reason(), response:text())
    if response:status_is_success() then
      return disposition
    end
    if keep(response:status_code()) then
      kumo.reject(451, '4.4.0 ' .. label .. disposition)
    end
    kumo.reject(550, '5.4.0 ' .. label .. disposition)
  end
  function connection:close()
    client:close()
  end
  return connection
end

return support
