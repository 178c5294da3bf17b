package dev.sluice.tsa;

import dev.sluice.egress.dns.DnsPolicyModule;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.shaping.Shaping;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.http.HttpListenerConfigs;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A {@code --policy tsa_init.lua} file, as KumoMTA's daemon reads it: the {@code tsa} module
 * ({@code tsa.configure_tsa_db_path(path)}, {@code tsa.start_http_listener{...}}) called from the
 * {@code tsa_init} event, and {@code tsa_load_shaping_data}, whose handler returns the shaping data
 * ({@code kumo.shaping.load{...}}, normally memoized) each time a record is evaluated.
 */
public final class TsaLuaConfig implements LuaModule {
    static final String INIT = "tsa_init";
    static final String LOAD_SHAPING = "tsa_load_shaping_data";

    private final List<HttpListenerConfig> listeners = new CopyOnWriteArrayList<>();
    private volatile String dbPath;

    private TsaLuaConfig() {}

    @Override
    public void install(Registrar registrar) {
        registrar.function("tsa", "start_http_listener", args -> {
            listeners.add(HttpListenerConfigs.fromTable(
                    ConfigTable.of(HttpListenerConfigs.SCHEMA, args.isEmpty() ? null : args.get(0))));
            return null;
        });
        registrar.function("tsa", "configure_tsa_db_path", args -> {
            if (args.isEmpty() || !(args.get(0) instanceof String path) || path.isBlank()) {
                throw new ConfigException("tsa.configure_tsa_db_path: expected a path (or ':memory:')");
            }
            if (!listeners.isEmpty()) {
                throw new ConfigException("tsa.configure_tsa_db_path must be called before tsa.start_http_listener");
            }
            dbPath = path;
            return null;
        });
    }

    /**
     * Loads the file, runs {@code tsa_init} and starts the daemon it describes.
     *
     * @param shapingFiles used when the file has no {@code tsa_load_shaping_data} handler
     * @param stateDir     used when the file does not call {@code configure_tsa_db_path}
     * @throws PolicyException a bad file, as {@code file:line: reason}, or one that starts no listener or names no
     *                         shaping data
     */
    public static TsaDaemon start(Path file, List<Path> shapingFiles, Path stateDir) throws PolicyException, IOException {
        TsaLuaConfig module = new TsaLuaConfig();
        Resolvers resolvers = new Resolvers();
        Policy policy;
        try {
            policy = Policy.load(new PolicyOptions(file, 1,
                    List.of(module, new DnsPolicyModule(resolvers), new ShapingModule(resolvers)), new PrometheusRegistry()));
        } catch (PolicyException | RuntimeException e) {
            resolvers.close();
            throw e;
        }
        AutoCloseable resources = () -> {
            policy.close();
            resolvers.close();
        };
        Supplier<Shaping> shaping;
        try {
            policy.runOnce(INIT);
            if (module.listeners.isEmpty()) {
                throw new PolicyException(file + ": tsa_init started no http listener (call tsa.start_http_listener"
                        + "{listen = 'ip:port'} in kumo.on('tsa_init', ...))", INIT);
            }
            if (policy.hasHandler(LOAD_SHAPING)) {
                shaping = () -> loadShaping(policy);
                shaping.get(); // a handler that fails stops the start rather than every publish
            } else if (!shapingFiles.isEmpty()) {
                shaping = ShapingFiles.load(shapingFiles, new ShapingModule(resolvers));
            } else {
                throw new PolicyException(file + ": no shaping data: add kumo.on('" + LOAD_SHAPING
                        + "', function() return kumo.shaping.load{...} end) or give --shaping", LOAD_SHAPING);
            }
        } catch (PolicyException | RuntimeException e) {
            try {
                resources.close();
            } catch (Exception ignored) {
                // the start failed already; that error is the one to report
            }
            throw e;
        }
        String state = module.dbPath != null ? module.dbPath : stateDir.toString();
        return TsaDaemon.start(module.listeners, shaping, state, resources); // closes resources when it fails
    }

    private static Shaping loadShaping(Policy policy) {
        Object result;
        try {
            result = policy.call(LOAD_SHAPING);
        } catch (PolicyException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (result instanceof Shaping s) return s;
        throw new IllegalStateException(policy.file() + ": " + LOAD_SHAPING
                + " must return the shaping data of kumo.shaping.load, got " + (result == null ? "nil" : result));
    }
}
