package dev.sluice.policy.kumo;

import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code kumo.validation_failed()} (records that the policy found its configuration invalid, so that
 * {@code sluice check} exits non-zero) and {@code kumo.traceback(level)} (the Lua call stack as a list
 * of frame tables: {@code name, name_what, source, short_src, line_defined, last_line_defined, what,
 * curr_line, is_tail_call}, as KumoMTA returns them; level 1 is the caller, 0 adds the native
 * traceback frame first; KumoMTA's {@code event} field, a debug-hook detail, is left out).
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
              level = level or 1
              if math.type(level) ~= 'integer' or level < 0 then
                error('kumo.traceback: level must be a non-negative integer, got ' .. tostring(level), 2)
              end
              -- KumoMTA counts from its own (native) frame: 0 is kumo.traceback itself, 1 its caller.
              local frames = {}
              if level == 0 then
                frames[1] = { name = 'traceback', name_what = 'field', source = '=[C]', short_src = '[C]',
                              what = 'C', is_tail_call = false }
                level = 1
              end
              local l = level + 1
              while true do
                local info = debug.getinfo(l, 'nSlt')
                if info == nil then break end
                frames[#frames + 1] = {
                  name = info.name,
                  name_what = info.namewhat ~= '' and info.namewhat or nil,
                  source = info.source,
                  short_src = info.short_src,
                  line_defined = info.linedefined >= 0 and info.linedefined or nil,
                  last_line_defined = info.lastlinedefined >= 0 and info.lastlinedefined or nil,
                  what = info.what,
                  curr_line = info.currentline >= 0 and info.currentline or nil,
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
