package dev.sluice.policy;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code sluice check} watches while a policy loads and runs: every {@code kumo.on} registration and every
 * use of a {@code kumo} name Sluice lacks, each with the {@code file:line} of the policy code that made it.
 * Install it after every other module (it wraps {@code kumo.on} and the lookups of missing names in {@code kumo}
 * and its sub-modules); the MTA does not install it.
 */
public final class PolicyAudit implements LuaModule {
    /** A name used at {@code where} ({@code file:line}). */
    public record Site(String name, String where) {}

    private final Set<Site> handlers = ConcurrentHashMap.newKeySet();
    private final Set<Site> missing = ConcurrentHashMap.newKeySet();

    private static final String SCRIPT = """
            local natives = ...
            local kumo = package.loaded.kumo
            local getinfo = debug.getinfo

            -- file:line of the code `level` frames above the caller of site(); nil for Sluice's own chunks
            local function site(level)
              local info = getinfo(level + 1, 'Sl')
              if info == nil or info.currentline == nil or info.currentline <= 0 then return nil end
              if info.source:sub(1, 1) ~= '@' then return nil end
              return info.source:sub(2) .. ':' .. info.currentline
            end

            local on = kumo.on
            rawset(kumo, 'on', function(name, fn)
              if type(name) == 'string' then natives.handler(name, site(2) or '') end
              return on(name, fn)
            end)

            -- a missing name in kumo or a sub-module is looked up through the table's __index, which makes the
            -- "not implemented" stub (a table whose metatable has __call)
            local function is_stub(v)
              local mt = type(v) == 'table' and getmetatable(v)
              return type(mt) == 'table' and mt.__call ~= nil
            end
            local function watch(t, path)
              local mt = getmetatable(t)
              if type(mt) ~= 'table' or type(mt.__index) ~= 'function' then return end
              local index = mt.__index
              if not is_stub(index(t, '\\0sluice-audit-probe')) then return end
              mt.__index = function(tbl, k)
                local v = index(tbl, k)
                local where = site(2)
                if where ~= nil and (v == nil or is_stub(v)) then natives.missing(path .. '.' .. tostring(k), where) end
                return v
              end
            end
            watch(kumo, 'kumo')
            for name, sub in pairs(kumo) do
              if type(sub) == 'table' then watch(sub, 'kumo.' .. name) end
            end
            """;

    @Override
    public void install(Registrar r) {
        r.script("sluice.audit", SCRIPT, Map.of(
                "handler", args -> {
                    handlers.add(new Site(String.valueOf(args.get(0)), String.valueOf(args.get(1))));
                    return null;
                },
                "missing", args -> {
                    missing.add(new Site(String.valueOf(args.get(0)), String.valueOf(args.get(1))));
                    return null;
                }));
    }

    /** Each {@code kumo.on(name, …)} call seen, by place. */
    public List<Site> handlers() {
        return sorted(handlers);
    }

    /** The registrations of events Sluice never fires ({@link FiredEvents}), by place. */
    public List<Site> unfiredHandlers() {
        return handlers().stream().filter(s -> !FiredEvents.fires(s.name())).toList();
    }

    /** Each use of a {@code kumo} name Sluice lacks ({@code kumo.dkim.rsa_sha256_signer}), by place. */
    public List<Site> missingNames() {
        return sorted(missing);
    }

    private static List<Site> sorted(Set<Site> sites) {
        return sites.stream().sorted(Comparator.comparing(Site::where).thenComparing(Site::name)).toList();
    }
}
