package dev.sluice.proxy.app;

import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.proxy.Authenticator;
import dev.sluice.proxy.ProxyListenerConfig;
import java.util.List;

/**
 * What a proxy process runs: its SOCKS5 listeners, its HTTP listeners, who decides RFC 1929 logins (null:
 * nobody, so clients are never asked for a password), and what to release at exit (the Lua states, for a Lua config).
 */
record ProxySetup(
        List<ProxyListenerConfig> listeners,
        List<HttpListenerConfig> httpListeners,
        Authenticator authenticator,
        AutoCloseable resources) {

    ProxySetup {
        listeners = List.copyOf(listeners);
        httpListeners = List.copyOf(httpListeners);
    }
}
