package dev.sluice.egress.shaping;

import dev.sluice.egress.dns.Resolver;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code kumo.shaping.load(files, options?)}: loads shaping files into a {@link Shaping} object. MX lookups (for
 * {@code mx_rollup} and MX-based provider matches) go to the resolver the policy configured.
 */
public final class ShapingModule implements LuaModule {
    private final Supplier<Resolver> resolver;
    private volatile Loaded lastLoaded;

    /** A load that succeeded: its file list and the object it made. */
    public record Loaded(List<String> files, Shaping shaping) {}

    public ShapingModule(Supplier<Resolver> resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    @Override
    public void install(Registrar registrar) {
        registrar.function("kumo.shaping", "load", args -> load(LuaArgs.get(args, 0), LuaArgs.get(args, 1)));
    }

    /** The Lua call's body: {@code files} a list of paths (or URLs), {@code options} a table or nil. */
    public Shaping load(Object files, Object options) {
        if (!(files instanceof List<?> list) || list.stream().anyMatch(f -> !(f instanceof String))) {
            throw new ConfigException("kumo.shaping.load: expected a list of file names, got " + LuaArgs.typeName(files));
        }
        List<String> names = new ArrayList<>();
        list.forEach(f -> names.add((String) f));
        Shaping shaping = ShapingLoader.load(names, ShapingOptions.parse(options), resolver);
        lastLoaded = new Loaded(List.copyOf(names), shaping);
        return shaping;
    }

    /** The last successful {@code kumo.shaping.load} of this policy, if any ({@code sluice check} explains it). */
    public java.util.Optional<Loaded> lastLoaded() {
        return java.util.Optional.ofNullable(lastLoaded);
    }
}
