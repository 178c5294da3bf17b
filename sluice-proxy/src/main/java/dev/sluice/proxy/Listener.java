package dev.sluice.proxy;

import io.netty.handler.ssl.SslContext;

/**
 * What every session of one listener shares. {@code label} is the listener's bound "ip:port"; {@code authenticator}
 * is null when nothing checks RFC 1929 credentials.
 */
record Listener(ProxyListenerConfig config, String label, AccessPolicy policy, Authenticator authenticator,
        ProxyMetrics metrics, SslContext sslContext, SessionRegistry sessions, ListenerSocket socket) {

    /** A listener whose client sockets get their keepalive settings one by one. */
    Listener(ProxyListenerConfig config, String label, AccessPolicy policy, Authenticator authenticator,
            ProxyMetrics metrics, SslContext sslContext, SessionRegistry sessions) {
        this(config, label, policy, authenticator, metrics, sslContext, sessions, ListenerSocket.perSocket(config.tcpKeepalive()));
    }
}
