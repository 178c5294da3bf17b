package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import java.util.Map;

/**
 * {@code require 'kumo.regex'} (and any other {@code kumo.X}) returns the {@code kumo.X} table, as
 * KumoMTA's documentation writes it; {@code require 'kumo'} already returns the {@code kumo} global.
 * Only names that exist as tables under {@code kumo} are found; anything else falls through to the
 * other searchers (so a policy's own {@code kumo/x.lua} still loads).
 */
final class RequireModule implements LuaModule {
    private static final String SCRIPT = """
            local kumo = package.loaded.kumo
            table.insert(package.searchers, 2, function(name)
              local path = name:match('^kumo%.(.+)$')
              if path == nil then return nil end
              local t = kumo
              for part in path:gmatch('[^.]+') do
                t = type(t) == 'table' and rawget(t, part) or nil
              end
              if type(t) ~= 'table' then
                return '\\n\\tno kumo module ' .. name
              end
              return function() return t end, ':kumo'
            end)
            """;

    @Override
    public void install(Registrar r) {
        r.script("kumo.require", SCRIPT, Map.of());
    }
}
