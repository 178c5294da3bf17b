package dev.sluice.mta.ingress.http;

import dev.sluice.policy.http.HttpListenerConfigs;

import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code kumo.start_http_listener{...}}: each call, normally in {@code init}, adds a listener to
 * {@link #listeners()}; the MTA starts an {@link dev.sluice.net.http.HttpServer} for each and installs
 * {@link HttpIngress} and the metrics routes on it. A bad table is a Lua error at the caller's line.
 */
public final class HttpListenerModule implements LuaModule {
    private final List<HttpListenerConfig> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("start_http_listener", args -> {
            listeners.add(HttpListenerConfigs.fromTable(
                    ConfigTable.of(HttpListenerConfigs.SCHEMA, args.isEmpty() ? null : args.getFirst())));
            return null;
        });
    }

    /** The listeners asked for so far, in call order. */
    public List<HttpListenerConfig> listeners() {
        return List.copyOf(listeners);
    }
}
