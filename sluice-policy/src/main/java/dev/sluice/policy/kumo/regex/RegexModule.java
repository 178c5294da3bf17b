package dev.sluice.policy.kumo.regex;

import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.Map;

/** {@code kumo.regex.compile}, {@code kumo.regex.escape} and {@code kumo.regex_set_map.new}; see {@link RustRegex} for the syntax. */
public final class RegexModule implements LuaModule {
    @Override
    public void install(Registrar r) {
        r.function("kumo.regex", "compile", args -> new LuaRegex(LuaArgs.string(args, 0, "kumo.regex.compile")));
        r.function("kumo.regex", "escape", args -> RustRegex.escape(LuaArgs.string(args, 0, "kumo.regex.escape")));
        r.function("kumo.regex_set_map", "new", args -> new RegexSetMap(
                args.isEmpty() || args.getFirst() == null ? Map.of() : LuaArgs.table(args, 0, "kumo.regex_set_map.new")));
    }
}
