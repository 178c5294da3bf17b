package dev.sluice.mta.log;

import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Adds {@code kumo.configure_local_logs{...}} to the policy. Each call (normally in {@code init}) validates its
 * table and adds a {@link LogConfig} to {@link #configs()}; the MTA then starts one {@link LogWriter} per config
 * ({@link LogWriters#start}).
 */
public final class LogsPolicyModule implements LuaModule {
    private final List<LogConfig> configs = new CopyOnWriteArrayList<>();

    @Override
    public void install(Registrar r) {
        r.kumoFunction("configure_local_logs", args -> {
            configs.add(LogConfig.parse(args.isEmpty() ? null : args.getFirst()));
            return null;
        });
    }

    /** Every configuration the policy asked for, in call order. */
    public List<LogConfig> configs() {
        return List.copyOf(configs);
    }
}
