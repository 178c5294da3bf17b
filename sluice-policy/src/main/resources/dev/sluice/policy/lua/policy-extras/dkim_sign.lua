-- Sluice's dkim_sign helper: DKIM signing driven by a data file, for policies written for
-- KumoMTA's helper of the same name.
--
--   local dkim_sign = require 'policy-extras.dkim_sign'
--   local dkim_signer = dkim_sign:setup { '/opt/kumomta/etc/policy/dkim_data.toml' }
--   kumo.on('smtp_server_message_received', function(msg) dkim_signer(msg) end)
--
-- File (TOML; JSON for other names; or a Lua table):
--   [base]                 defaults for every block: selector, headers, header_canonicalization,
--                          body_canonicalization, over_sign, expiration, policy = "Always",
--                          additional_signatures = ["name", ...], vault_mount, vault_path_prefix
--   [domain."example.com"] signs mail whose From header is in example.com ("*.example.com": below it)
--                          with d=example.com: selector, headers, algo = "sha256" | "ed25519",
--                          filename (default /opt/kumomta/etc/dkim/<domain>/<selector>.key), and
--                          the canonicalization / over_sign / expiration keys
--   [signature."name"]     an extra signature with its own d= (domain, required) and the same keys;
--                          policy = "Always" or "OnlyIfMissingDomainBlock" (only when no domain
--                          block signed); used when [base] additional_signatures names it
-- With vault_mount set, keys come from HashiCorp Vault at <vault_path_prefix or "dkim">/<domain>/<selector>.
local kumo = require 'kumo'
local support = require 'policy-extras.support'

local dkim_sign = {}

local DKIM_DIR = '/opt/kumomta/etc/dkim'

local SIGNING_KEYS = {
  selector = 'string', headers = 'table', header_canonicalization = 'string',
  body_canonicalization = 'string', over_sign = 'boolean', expiration = 'number',
}
local function with(extra)
  local keys = {}
  for k, v in pairs(SIGNING_KEYS) do keys[k] = v end
  for k, v in pairs(extra) do keys[k] = v end
  return keys
end
local BLOCK_KEYS = {
  base = with { policy = 'string', additional_signatures = 'table', vault_mount = 'string', vault_path_prefix = 'string' },
  domain = with { policy = 'string', algo = 'string', filename = 'string' },
  signature = with { domain = 'string', policy = 'string', algo = 'string', filename = 'string' },
}
local POLICIES = {
  base = { Always = true },
  domain = { Always = true },
  signature = { Always = true, OnlyIfMissingDomainBlock = true },
}

local function check_block(file, kind, label, block)
  if type(block) ~= 'table' then
    support.fail(file, label, 'must be a table')
  end
  for key, value in pairs(block) do
    local want = BLOCK_KEYS[kind][key]
    if want == nil then
      support.fail(file, label, string.format("unknown key '%s'", key))
    end
    if type(value) ~= want then
      support.fail(file, label, string.format("key '%s' must be a %s, got %s", key,
        want == 'table' and 'list of strings' or want, type(value)))
    end
  end
  if block.algo ~= nil and block.algo ~= 'sha256' and block.algo ~= 'ed25519' then
    support.fail(file, label, string.format("algo must be \"sha256\" or \"ed25519\", got \"%s\"", block.algo))
  end
  if block.policy ~= nil and not POLICIES[kind][block.policy] then
    support.fail(file, label, string.format("policy \"%s\" is not one of the %s policies", block.policy, kind))
  end
  if kind == 'signature' and block.domain == nil then
    support.fail(file, label, "'domain' is required (the d= of this signature)")
  end
end

local function merge(into, from)
  for k, v in pairs(from) do
    into[k] = v
  end
  return into
end

local function load(files)
  local data = { base = {}, domain = {}, signature = {}, file = {} }
  for _, file in ipairs(files) do
    local doc = support.read(file)
    for key, value in pairs(doc) do
      if key == 'base' then
        check_block(file, 'base', '[base]', value)
        merge(data.base, value)
        data.file.base = file
      elseif key == 'domain' or key == 'signature' then
        if type(value) ~= 'table' then
          support.fail(file, '[' .. key .. ']', 'must be a table of blocks')
        end
        for name, block in pairs(value) do
          local label = string.format('[%s.%q]', key, name)
          check_block(file, key, label, block)
          local id = key == 'domain' and name:lower() or name
          data[key][id] = merge(data[key][id] or {}, block)
          data.file[key .. ':' .. id] = file
        end
      else
        support.fail(file, '[' .. key .. ']', 'unknown block (expected [base], [domain."d"] or [signature."name"])')
      end
    end
  end
  for name, block in pairs(data.domain) do
    if (block.selector or data.base.selector) == nil then
      support.fail(data.file['domain:' .. name], string.format('[domain.%q]', name),
        'no selector here and none in [base]')
    end
  end
  for name, block in pairs(data.signature) do
    if (block.selector or data.base.selector) == nil then
      support.fail(data.file['signature:' .. name], string.format('[signature.%q]', name),
        'no selector here and none in [base]')
    end
  end
  for _, name in ipairs(data.base.additional_signatures or {}) do
    if data.signature[name] == nil then
      support.fail(data.file.base, '[base]', string.format("additional_signatures names '%s', which has no [signature.\"%s\"] block", name, name))
    end
  end
  return data
end

-- The signer for one block: the block's keys over [base]'s, d= `domain`.
local function make_signer(base, block, domain)
  local p = {}
  for key in pairs(SIGNING_KEYS) do
    local v = block[key]
    if v == nil then
      v = base[key]
    end
    p[key] = v
  end
  p.domain = domain
  if p.headers == nil then
    p.headers = { 'From', 'To', 'Subject', 'Date', 'MIME-Version', 'Content-Type', 'Sender' }
  end
  if base.vault_mount then
    p.key = {
      vault_mount = base.vault_mount,
      vault_path = string.format('%s/%s/%s', base.vault_path_prefix or 'dkim', domain, p.selector),
    }
  else
    p.key = block.filename or string.format('%s/%s/%s.key', DKIM_DIR, domain, p.selector)
  end
  if block.algo == 'ed25519' then
    return kumo.dkim.ed25519_signer(p)
  end
  return kumo.dkim.rsa_sha256_signer(p)
end

-- Returns the function that signs a message (call it from smtp_server_message_received and
-- http_message_generated).
function dkim_sign:setup(files)
  if type(files) ~= 'table' then
    error('policy-extras.dkim_sign: setup takes a list of file names (or tables)', 2)
  end
  local cached = kumo.memoize(load, {
    name = 'policy-extras.dkim_sign',
    ttl = '5 minutes',
    capacity = 10,
    invalidate_with_epoch = true,
  })
  cached(files) -- a mistake in a file stops the start, naming the file and block

  return function(msg)
    local data = cached(files)
    local from = msg:from_header()
    if from == nil then
      kumo.reject(552, '5.6.0 DKIM signing requires a From header, and this message has none')
    end
    local from_domain = tostring(from.domain):lower()
    local signed = false
    local block = support.match_domain(data.domain, from_domain)
    if block then
      msg:dkim_sign(make_signer(data.base, block, from_domain))
      signed = true
    end
    for _, name in ipairs(data.base.additional_signatures or {}) do
      local sig = data.signature[name]
      if sig.policy ~= 'OnlyIfMissingDomainBlock' or not signed then
        msg:dkim_sign(make_signer(data.base, sig, sig.domain))
      end
    end
  end
end

return dkim_sign
