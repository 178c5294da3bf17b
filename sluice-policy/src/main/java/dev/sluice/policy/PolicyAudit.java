package dev.sluice.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
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
    public record Site(String name, String where) {
        /** By file, then line (as a number), then name. */
        public static final Comparator<Site> BY_PLACE = Comparator
                .comparing((Site s) -> s.where().replaceFirst(":\\d+$", ""))
                .thenComparingInt(s -> line(s.where()))
                .thenComparing(Site::name);

        private static int line(String where) {
            int colon = where.lastIndexOf(':');
            try {
                return colon < 0 ? 0 : Integer.parseInt(where.substring(colon + 1));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }

    private final Set<Site> handlers = ConcurrentHashMap.newKeySet();
    private final Set<Site> missing = ConcurrentHashMap.newKeySet();
    private final Set<String> files = ConcurrentHashMap.newKeySet();
    /** Events named by kumo.spawn_task: their handlers run, in a task of their own. */
    private final Set<String> spawned = ConcurrentHashMap.newKeySet();
    /** The event of the audit's own handler that resolves references; a dotted name, so never a KumoMTA event. */
    static final String RESOLVE_EVENT = "sluice.audit.resolve";

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
            -- (a few lines below) whether a kumo table's __index makes the "not implemented" stub
            local is_stub, probe

            -- the file each Lua searcher found for require (the second value it returns)
            for i, searcher in ipairs(package.searchers) do
              package.searchers[i] = function(name)
                local loader, where = searcher(name)
                if type(loader) == 'function' and type(where) == 'string' then natives.file(where) end
                return loader, where
              end
            end

            -- for Java: which of the given paths below kumo ('dkim.rsa_sha256_signer') name nothing; each such path
            -- maps to the missing name ('kumo.dkim.rsa_sha256_signer', or 'kumo.api.admin' for 'api.admin.bounce')
            on(natives.resolve_event(), function(paths)
              local missing = {}
              for _, path in ipairs(paths) do
                local t, so_far = kumo, 'kumo'
                for part in path:gmatch('[^.]+') do
                  so_far = so_far .. '.' .. part
                  local v = rawget(t, part)
                  if v == nil then
                    local mt = getmetatable(t)
                    if type(mt) == 'table' and type(mt.__index) == 'function' then
                      local ok, made = pcall(mt.__index, t, probe)
                      if ok and is_stub(made) then missing[path] = so_far end
                    end
                    break
                  end
                  if type(v) ~= 'table' then break end
                  t = v
                end
              end
              return missing
            end)

            rawset(kumo, 'on', function(name, fn)
              if type(name) == 'string' then natives.handler(name, site(2) or '') end
              return on(name, fn)
            end)

            -- a task's event is fired by the task: its handler is not one that never runs
            local spawn = rawget(kumo, 'spawn_task')
            if spawn ~= nil then
              rawset(kumo, 'spawn_task', function(params)
                if type(params) == 'table' and type(params.event_name) == 'string' then
                  natives.spawned(params.event_name)
                end
                return spawn(params)
              end)
            end

            -- a missing name in kumo or a sub-module is looked up through the table's __index, which makes the
            -- "not implemented" stub (a table whose metatable has __call)
            is_stub = function(v)
              local mt = type(v) == 'table' and getmetatable(v)
              return type(mt) == 'table' and mt.__call ~= nil
            end
            probe = '\\0sluice-audit-probe'
            local function watch(t, path)
              local mt = getmetatable(t)
              if type(mt) ~= 'table' or type(mt.__index) ~= 'function' then return end
              local index = mt.__index
              if not is_stub(index(t, probe)) then return end
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
                "resolve_event", args -> RESOLVE_EVENT,
                "file", args -> {
                    files.add(String.valueOf(args.getFirst()));
                    return null;
                },
                "handler", args -> {
                    handlers.add(new Site(String.valueOf(args.get(0)), String.valueOf(args.get(1))));
                    return null;
                },
                "spawned", args -> {
                    spawned.add(String.valueOf(args.getFirst()));
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

    /** The registrations of events Sluice never fires ({@link FiredEvents}, nor a task the policy spawned), by place. */
    public List<Site> unfiredHandlers() {
        return handlers().stream().filter(s -> !FiredEvents.fires(s.name()) && !spawned.contains(s.name())).toList();
    }

    /** Each use of a {@code kumo} name Sluice lacks ({@code kumo.dkim.rsa_sha256_signer}), by place. */
    public List<Site> missingNames() {
        return sorted(missing);
    }

    /**
     * Each reference to a {@code kumo} name Sluice lacks in the text of the policy file and of the Lua files it
     * required, by place: also those in code that did not run. Call it after the policy ran what it will.
     */
    public List<Site> missingReferences(Policy policy) throws PolicyException {
        var references = new ArrayList<Site>();
        var sources = new LinkedHashSet<String>();
        sources.add(policy.file());
        sources.addAll(files);
        for (String file : sources) {
            String text;
            try {
                text = Files.readString(Path.of(file));
            } catch (IOException | RuntimeException e) {
                continue; // not a file (a bundled module) or gone: nothing to read
            }
            for (LuaReferences.Reference ref : LuaReferences.scan(text)) {
                references.add(new Site(ref.path(), file + ":" + ref.line()));
            }
        }
        if (references.isEmpty()) {
            return List.of();
        }
        List<String> paths = references.stream().map(Site::name).distinct().toList();
        Object result = policy.call(RESOLVE_EVENT, paths);
        if (!(result instanceof Map<?, ?> missingPaths)) {
            return List.of();
        }
        var found = new LinkedHashSet<Site>();
        for (Site ref : references) {
            Object name = missingPaths.get(ref.name());
            if (name != null) {
                found.add(new Site(String.valueOf(name), ref.where()));
            }
        }
        return sorted(found);
    }

    private static List<Site> sorted(Set<Site> sites) {
        return sites.stream().sorted(Site.BY_PLACE).toList();
    }
}
