package dev.sluice.policy.kumo.domainmap;

import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.Map;

/** {@code kumo.domain_map.new([table])}; see {@link DomainMap}. */
public final class DomainMapModule implements LuaModule {
    @Override
    public void install(Registrar r) {
        r.function("kumo.domain_map", "new", args -> new DomainMap(
                LuaArgs.get(args, 0) == null ? Map.of() : LuaArgs.table(args, 0, "kumo.domain_map.new")));
    }
}
