package dev.sluice.policy.kumo.http;

import dev.sluice.policy.LuaModule;

/**
 * {@code kumo.http.build_client{...}}: a pooled HTTP client ({@link HttpClient}) as a Lua object with
 * {@code get}/{@code post}/{@code put}/{@code close}; see {@link LuaHttpRequest} and {@link LuaHttpResponse}.
 * {@code kumo.http.connect_websocket} and {@code build_url} stay unimplemented.
 */
public final class HttpModule implements LuaModule {
    @Override
    public void install(Registrar r) {
        r.function("kumo.http", "build_client",
                args -> new LuaHttpClient(new HttpClient(HttpClientOptions.parse(args.isEmpty() ? null : args.getFirst()))));
    }
}
