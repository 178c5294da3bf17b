package dev.sluice.net.http;

import dev.sluice.net.CidrSet;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Where and how an {@link HttpServer} listens.
 *
 * @param listen           address to bind; port 0 picks a free port ({@link HttpServer#start()} returns the real one)
 * @param hostname         name this listener reports about itself (logs, future TLS/SNI use)
 * @param useTls           serve HTTPS with {@code sslContext}
 * @param sslContext       server TLS context built by the caller; required when {@code useTls}, otherwise ignored
 * @param trustedHosts     CIDRs ("10.0.0.0/8") or single addresses ("::1") whose peers may call non-public routes
 * @param requestBodyLimit largest accepted request body in bytes; larger bodies get 413
 */
public record HttpListenerConfig(
        InetSocketAddress listen,
        String hostname,
        boolean useTls,
        SslContext sslContext,
        List<String> trustedHosts,
        long requestBodyLimit) {

    public static final List<String> DEFAULT_TRUSTED_HOSTS = List.of("127.0.0.1", "::1");
    public static final long DEFAULT_REQUEST_BODY_LIMIT = 2L * 1024 * 1024;

    public HttpListenerConfig {
        Objects.requireNonNull(listen, "listen");
        hostname = hostname == null || hostname.isBlank() ? listen.getHostString() : hostname;
        if (useTls && sslContext == null) {
            throw new IllegalArgumentException("useTls requires an SslContext");
        }
        if (useTls && !sslContext.isServer()) {
            throw new IllegalArgumentException("sslContext must be a server context");
        }
        trustedHosts = List.copyOf(trustedHosts == null ? DEFAULT_TRUSTED_HOSTS : trustedHosts);
        if (requestBodyLimit <= 0) {
            throw new IllegalArgumentException("requestBodyLimit must be positive: " + requestBodyLimit);
        }
        // Parse once here so a bad CIDR fails at configuration time, not on the first request.
        CidrSet.parse(trustedHosts);
    }

    /** Plain HTTP on {@code listen}, trusting only loopback, 2 MB body limit. */
    public static HttpListenerConfig plain(InetSocketAddress listen) {
        return new HttpListenerConfig(listen, null, false, null, DEFAULT_TRUSTED_HOSTS, DEFAULT_REQUEST_BODY_LIMIT);
    }

    public HttpListenerConfig withTrustedHosts(List<String> hosts) {
        return new HttpListenerConfig(listen, hostname, useTls, sslContext, hosts, requestBodyLimit);
    }

    public HttpListenerConfig withRequestBodyLimit(long limit) {
        return new HttpListenerConfig(listen, hostname, useTls, sslContext, trustedHosts, limit);
    }

    public HttpListenerConfig withTls(SslContext context) {
        return new HttpListenerConfig(listen, hostname, true, context, trustedHosts, requestBodyLimit);
    }
}
