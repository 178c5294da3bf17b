package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code kumo.validation_failed()} (records that the policy found its configuration invalid, so that
 * {@code sluice check} exits non-zero) and {@code kumo.traceback(level)} (the Lua call stack as a list
 * of frame tables: {@code event, name, name_what, source, short_src, line_defined,
 * last_line_defined, what, curr_line, is_tail_call}, as KumoMTA returns it).
 */
final class ValidationModule implements LuaModule {
    private final List<String> failures = new CopyOnWriteArrayList<>();

    private static final String SCRIPT = """
            local natives = ...
            local kumo = package.loaded.kumo

            rawset(kumo, 'validation_failed', function()
              local info = debug.getinfo(2, 'Sl')
              natives.record(info and (info.short_src .. ':' .. tostring(info.currentline)) or '?')
            end)

            rawset(kumo, 'traceback', function(level)
              if level ~= nil and math.type(level) ~= 'integer' then
                error('kumo.traceback: level must be an integer, got ' .. type(level), 2)
              end
              -- level 0 is the caller of kumo.traceback, as in KumoMTA (which counts from its caller).
              local frames = {}
              local l = (level or 0) + 2
              while true do
                local info = debug.getinfo(l, 'nSlt')
                if info == nil then break end
                frames[#frames + 1] = {
                  event = nil,
                  name = info.name,
                  name_what = info.namewhat ~= '' and info.namewhat or nil,
                  source = info.source,
                  short_src = info.short_src,
                  line_defined = info.linedefined,
                  last_line_defined = info.lastlinedefined,
                  what = info.what,
                  curr_line = info.currentline,
                  is_tail_call = info.istailcall,
                }
                l = l + 1
              end
              return frames
            end)
            """;

    @Override
    public void install(Registrar r) {
        r.script("kumo.validation", SCRIPT, Map.of("record", args -> {
            failures.add(String.valueOf(LuaArgs.get(args, 0)));
            return null;
        }));
    }

    List<String> failures() {
        return List.copyOf(failures);
    }
}
