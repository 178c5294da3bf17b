package dev.sluice.net.http;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics} (Prometheus text 0.0.4) and {@code GET /metrics.json} for one registry. */
public final class MetricsRoutes {

    /** The Prometheus text exposition content type ("text/plain; version=0.0.4; charset=utf-8"). */
    public static final String PROMETHEUS_CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private MetricsRoutes() {}

    /** Installs both routes for trusted peers only, as KumoMTA does. */
    public static void install(HttpServer server, PrometheusRegistry registry) {
        install(server, registry, HttpServer.Access.TRUSTED);
    }

    public static void install(HttpServer server, PrometheusRegistry registry, HttpServer.Access access) {
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        server.get("/metrics", access, request -> new HttpResponse(200, PROMETHEUS_CONTENT_TYPE, text(writer, registry)));
        server.get("/metrics.json", access, request -> new HttpResponse(200, HttpResponse.JSON,
                MetricsJson.write(registry.scrape()).getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] text(PrometheusTextFormatWriter writer, PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }
}
