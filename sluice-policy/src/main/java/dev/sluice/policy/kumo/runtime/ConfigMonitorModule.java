package dev.sluice.policy.kumo.runtime;

import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kumo.set_config_monitor_globs(globs)} (a list of glob strings; replaces the watched set),
 * {@code kumo.eval_config_monitor_globs()} (the files they match now, deduplicated, sorted, absolute) and
 * {@code kumo.bump_config_epoch()} (moves the {@link ConfigEpoch} on at once). See {@link ConfigMonitor}.
 */
public final class ConfigMonitorModule implements LuaModule {
    private final ConfigMonitor monitor;
    private final ConfigEpoch epoch;

    public ConfigMonitorModule(ConfigMonitor monitor, ConfigEpoch epoch) {
        this.monitor = monitor;
        this.epoch = epoch;
    }

    @Override
    public void install(Registrar r) {
        r.kumoFunction("set_config_monitor_globs", args -> {
            monitor.setGlobs(globs(LuaArgs.get(args, 0)));
            return null;
        });
        r.kumoFunction("eval_config_monitor_globs", args -> monitor.files());
        r.kumoFunction("bump_config_epoch", args -> {
            epoch.bump("kumo.bump_config_epoch()");
            return null;
        });
    }

    private static List<String> globs(Object value) {
        List<?> items = switch (value) {
            case List<?> l -> l;
            case Map<?, ?> m when m.isEmpty() -> List.of();
            case null, default -> throw new ConfigException("kumo.set_config_monitor_globs: argument #1 must be a list"
                    + " of glob strings, got " + LuaArgs.typeName(value));
        };
        List<String> globs = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof String s) || s.isEmpty()) {
                throw new ConfigException("kumo.set_config_monitor_globs: item " + (i + 1) + " must be a glob string, got "
                        + LuaArgs.typeName(items.get(i)));
            }
            globs.add(s);
        }
        return globs;
    }
}
