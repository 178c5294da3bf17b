package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Adds {@code kumo.configure_local_logs{...}}, {@code kumo.configure_log_hook{...}} and
 * {@code kumo.configure_log_disposition_hook{...}} to the policy. Each call (normally in {@code init} or
 * {@code pre_init}) validates its table and adds a {@link LogConfig} to {@link #configs()}, a {@link LogHookConfig}
 * to {@link #hooks()} or a {@link LogDispositionHookConfig} to {@link #dispositionHooks()}; the MTA then starts one
 * {@link LogWriter} per config ({@link LogWriters#start}) and one hook per hook config. Both kinds of hook share one
 * namespace of names, as in KumoMTA.
 */
public final class LogsPolicyModule implements LuaModule {
    private final List<LogConfig> configs = new CopyOnWriteArrayList<>();
    private final List<LogHookConfig> hooks = new CopyOnWriteArrayList<>();
    private final List<LogDispositionHookConfig> dispositionHooks = new CopyOnWriteArrayList<>();

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
        r.kumoFunction("configure_log_disposition_hook", args -> {
            add(LogDispositionHookConfig.parse(args.isEmpty() ? null : args.getFirst()));
            return null;
        });
    }

    /** A second hook of the same name is an error, unless it is the same call again (run by each Lua state). */
    private synchronized void add(LogHookConfig hook) {
        if (hooks.contains(hook)) {
            return;
        }
        refuseTaken("configure_log_hook", hook.name());
        hooks.add(hook);
    }

    /** As {@link #add(LogHookConfig)}, for a disposition hook. */
    private synchronized void add(LogDispositionHookConfig hook) {
        if (dispositionHooks.contains(hook)) {
            return;
        }
        refuseTaken("configure_log_disposition_hook", hook.name());
        dispositionHooks.add(hook);
    }

    private void refuseTaken(String function, String name) {
        if (hooks.stream().anyMatch(h -> h.name().equals(name))
                || dispositionHooks.stream().anyMatch(h -> h.name().equals(name))) {
            throw new ConfigException(function + ": a hook named '" + name + "' is already configured");
        }
    }

    /** Every {@code configure_log_disposition_hook} the policy asked for, in call order. */
    public List<LogDispositionHookConfig> dispositionHooks() {
        return List.copyOf(dispositionHooks);
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
