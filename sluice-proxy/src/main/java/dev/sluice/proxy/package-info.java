/**
 * {@code sluice proxy}: a KumoProxy-compatible SOCKS5 server on Netty's native epoll transport (io_uring on request,
 * {@code ProxyTransport}).
 *
 * <p>Entry points: {@link dev.sluice.proxy.ProxyServer} (start listeners, shut down),
 * {@link dev.sluice.proxy.ProxyListenerConfig} (one listener, KumoProxy's {@code start_proxy_listener} options plus
 * ACLs), {@link dev.sluice.proxy.Authenticator} / {@link dev.sluice.proxy.AuthDecision} (RFC 1929 decisions, made
 * off the event loop), {@link dev.sluice.proxy.ProxyMetrics} (the {@code proxy_*} metrics).
 *
 * <p>Per connection the pipeline is: [SslHandler] → {@code SocksHandshake}, which parses the greeting, the RFC 1929
 * request and the request(s) itself ({@code Socks5Parser}) and answers with pre-built replies ({@code SocksReplies});
 * after a successful CONNECT the relay's client side takes its place and {@code Relay} moves the bytes: by copying, and with use_splice
 * each direction switches to {@code SpliceRelay} once it has copied 64 KiB. Accept and I/O share one event loop
 * group, one loop per CPU; {@code ListenerSocket} sets client keepalive once on the listening socket.
 */
package dev.sluice.proxy;
