package dev.sluice.proxy;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** Shared test plumbing: metric reading from the registry's text exposition, and a one-shot target server. */
final class TestSupport {
    private TestSupport() {}

    /** Value of the sample {@code name} whose labels include all of {@code labels}; 0 when absent. */
    static double metric(PrometheusRegistry registry, String name, Map<String, String> labels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double sum = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String n = brace < 0 ? line.substring(0, space) : line.substring(0, brace);
            if (!n.equals(name)) {
                continue;
            }
            String labelText = brace < 0 ? "" : line.substring(brace, line.indexOf('}') + 1);
            boolean all = labels.entrySet().stream().allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
            if (all) {
                sum += Double.parseDouble(line.substring(space + 1));
            }
        }
        return sum;
    }

    /** A loopback server that accepts connections and runs {@code behaviour} on each in its own thread. */
    static final class Target implements AutoCloseable {
        final ServerSocket server;
        final ExecutorService pool = Executors.newCachedThreadPool();
        final CompletableFuture<InetSocketAddress> firstPeer = new CompletableFuture<>();
        final CompletableFuture<Object> firstResult = new CompletableFuture<>();

        Target(InetAddress bindAddress, Function<Socket, Object> behaviour) throws IOException {
            server = new ServerSocket(0, 50, bindAddress);
            pool.execute(() -> {
                for (int i = 0; i < 50 && !server.isClosed(); i++) { // bounded
                    try {
                        Socket s = server.accept();
                        firstPeer.complete((InetSocketAddress) s.getRemoteSocketAddress());
                        pool.execute(() -> {
                            try (s) {
                                firstResult.complete(behaviour.apply(s));
                            } catch (Throwable t) {
                                firstResult.completeExceptionally(t);
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
            pool.shutdownNow();
        }
    }

    /** Target behaviour: echo until EOF, then close. */
    static Object echo(Socket s) {
        try {
            s.getInputStream().transferTo(s.getOutputStream());
            s.shutdownOutput();
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
