package dev.sluice.policy.kumo.http;

import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kumo.http.build_client{...}}: a pooled HTTP client ({@link HttpClient}) as a Lua object with
 * {@code get}/{@code post}/{@code put}/{@code close}; see {@link LuaHttpRequest} and {@link LuaHttpResponse}.
 * {@code kumo.http.connect_websocket(url)}: a websocket client ({@link WebSocketStream}), returning the stream
 * ({@link LuaWebSocketStream}) and the server's answer to the upgrade (a {@link LuaHttpResponse}). It blocks the
 * calling Lua thread until the handshake is done, within 60 s and the running call's limit; a refused upgrade
 * raises an error containing {@code HTTP error: <code> <reason>}. Sluice also takes an optional table
 * {@code {timeout, accept_invalid_certs}} (KumoMTA's takes the URL only and always checks certificates).
 * {@code build_url} stays unimplemented.
 */
public final class HttpModule implements LuaModule {
    static final Duration WEBSOCKET_TIMEOUT = Duration.ofSeconds(60);
    private static final String CONNECT_WEBSOCKET = "kumo.http.connect_websocket";
    private static final ConfigSchema WEBSOCKET_OPTIONS = ConfigSchema.of(CONNECT_WEBSOCKET,
            Set.of("timeout", "accept_invalid_certs"), Set.of());

    /** Lua returns the two values; errors are raised here so they name the policy's line. */
    private static final String SCRIPT = """
            local natives = ...
            rawset(package.loaded.kumo.http, 'connect_websocket', function(url, options)
              local result = natives.connect(url, options)
              if type(result) == 'string' then
                error(result, 2)
              end
              return result[1], result[2]
            end)
            """;

    @Override
    public void install(Registrar r) {
        r.function("kumo.http", "build_client",
                args -> new LuaHttpClient(new HttpClient(HttpClientOptions.parse(args.isEmpty() ? null : args.getFirst()))));
        r.script(CONNECT_WEBSOCKET, SCRIPT, Map.of("connect", HttpModule::connectWebSocket));
    }

    /** {stream, response}, or the error text. */
    private static Object connectWebSocket(List<Object> args) {
        try {
            URI uri = LuaHttpClient.url(LuaArgs.string(args, 0, CONNECT_WEBSOCKET), CONNECT_WEBSOCKET, "ws", "wss");
            ConfigTable options = ConfigTable.of(WEBSOCKET_OPTIONS, LuaArgs.get(args, 1));
            Duration timeout = options.duration("timeout", WEBSOCKET_TIMEOUT);
            if (timeout.isNegative() || timeout.isZero()) {
                return CONNECT_WEBSOCKET + ": timeout must be more than 0";
            }
            WebSocketStream.Connected c = WebSocketStream.connect(uri, options.bool("accept_invalid_certs", false), timeout);
            return List.of(new LuaWebSocketStream(c.stream()), new LuaHttpResponse(c.response()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a pcall around it must not make it wait again
            return CONNECT_WEBSOCKET + ": interrupted (the policy is stopping)";
        } catch (Exception e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }
}
