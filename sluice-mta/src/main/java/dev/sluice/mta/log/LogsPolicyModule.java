package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Adds {@code kumo.configure_local_logs{...}} and {@code kumo.configure_log_hook{...}} to the policy. Each call
 * (normally in {@code init}) validates its table and adds a {@link LogConfig} to {@link #configs()} or a
 * {@link LogHookConfig} to {@link #hooks()}; the MTA then starts one {@link LogWriter} per config
 * ({@link LogWriters#start}) and one hook per hook config.
 */
public final class LogsPolicyModule implements LuaModule {
    private final List<LogConfig> configs = new CopyOnWriteArrayList<>();
    private final List<LogHookConfig> hooks = new CopyOnWriteArrayList<>();

    @Override
    public void install(Registrar r) {
        r.kumoFunction("configure_local_logs", args -> {
            configs.add(LogConfig.parse(args.isEmpty() ? null : args.getFirst()));
            return null;
        });
        r.kumoFunction("configure_log_hook", args -> {
            LogHookConfig hook = LogHookConfig.parse(args.isEmpty() ? null : args.getFirst());
            add(hook);
            return null;
        });
    }

    /** A second hook of the same name is an error, unless it is the same call again (run by each Lua state). */
    private synchronized void add(LogHookConfig hook) {
        if (hooks.contains(hook)) {
            return;
        }
        if (hooks.stream().anyMatch(h -> h.name().equals(hook.name()))) {
            throw new ConfigException("configure_log_hook: a hook named '" + hook.name() + "' is already configured");
        }
        hooks.add(hook);
    }

    /** Every {@code configure_log_hook} the policy asked for, in call order. */
    public List<LogHookConfig> hooks() {
        return List.copyOf(hooks);
    }

    /** Every configuration the policy asked for, in call order. */
    public List<LogConfig> configs() {
        return List.copyOf(configs);
    }
}
