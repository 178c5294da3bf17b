package dev.sluice.proxy;

import dev.sluice.net.CidrSet;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;

/**
 * Run inside a network namespace by {@link OwnAddressDestinationTest}: a server listens on {@code args[0]} (an
 * address of the namespace's own interfaces), then one proxy with the default destination rule and one with
 * {@code allowed_destinations = {args[0]}} are asked to CONNECT to it, and each further address in {@code args}
 * is tried through the default proxy. Prints "DEFAULT reply accepted", "ALLOWED reply accepted" and "REPLY address
 * reply" lines. No packet leaves the namespace.
 */
public final class NetnsDestinationProbeMain {
    public static void main(String[] args) throws Exception {
        InetAddress own = InetAddress.getByName(args[0]);
        try (ServerSocket target = new ServerSocket(0, 10, own)) {
            target.setSoTimeout(500);
            var where = new InetSocketAddress(own, target.getLocalPort());
            System.out.println("DEFAULT " + tryConnect(null, where) + " " + accepted(target));
            System.out.println("ALLOWED " + tryConnect(CidrSet.of(args[0]), where) + " " + accepted(target));
            for (int i = 1; i < args.length; i++) {
                System.out.println("REPLY " + args[i] + " " + tryConnect(null, new InetSocketAddress(args[i], 80)));
            }
        }
    }

    private static int tryConnect(CidrSet allowed, InetSocketAddress destination) throws Exception {
        ProxyServer server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0))
                .timeout(Duration.ofSeconds(5)).allowedDestinations(allowed).build()), null, new PrometheusRegistry());
        InetSocketAddress proxy = server.start().get(0);
        try (var c = new Socks5TestClient(proxy)) {
            c.greet(0);
            return c.request(Socks5TestClient.CONNECT, destination).rep();
        } finally {
            server.shutdown(Duration.ZERO);
        }
    }

    private static boolean accepted(ServerSocket target) throws Exception {
        try (var s = target.accept()) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }
}
