/**
 * {@code sluice proxy}: a KumoProxy-compatible SOCKS5 server on Netty's native epoll transport.
 *
 * <p>Entry points: {@link dev.sluice.proxy.ProxyServer} (start listeners, shut down),
 * {@link dev.sluice.proxy.ProxyListenerConfig} (one listener, KumoProxy's {@code start_proxy_listener} options plus
 * ACLs), {@link dev.sluice.proxy.Authenticator} / {@link dev.sluice.proxy.AuthDecision} (RFC 1929 decisions, made
 * off the event loop), {@link dev.sluice.proxy.ProxyMetrics} (the {@code proxy_*} metrics).
 *
 * <p>Per connection the pipeline is: [SslHandler] → Netty SOCKS5 encoder → the decoder of the current step →
 * the step's handler ({@code GreetingHandler}, {@code PasswordAuthHandler}, {@code RequestHandler}); after a
 * successful CONNECT the SOCKS codec is removed and {@code Relay} moves the bytes: by copying, and with use_splice
 * each direction switches to {@code SpliceRelay} once it has copied 64 KiB. Accept and I/O share one event loop
 * group, one loop per CPU; {@code ListenerSocket} sets client keepalive once on the listening socket.
 */
package dev.sluice.proxy;
