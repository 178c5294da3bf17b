package dev.sluice.net.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsRoutesTest {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final HttpClient client = HttpClient.newHttpClient();
    private HttpServer server;
    private InetSocketAddress bound;

    @BeforeEach
    void start() {
        server = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        MetricsRoutes.install(server, registry);
        bound = server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
        client.close();
    }

    private java.net.http.HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bound.getPort() + path)).build(),
                BodyHandlers.ofString());
    }

    @Test
    void metricsShowARegisteredCounterWithItsValue() throws Exception {
        Counter sessions = Counter.builder().name("proxy_sessions_total").help("sessions relayed")
                .labelNames("command").register(registry);
        sessions.labelValues("connect").inc(3);
        sessions.labelValues("bind").inc();

        var response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
        assertThat(response.body())
                .contains("# TYPE proxy_sessions_total counter")
                .contains("proxy_sessions_total{command=\"connect\"} 3.0")
                .contains("proxy_sessions_total{command=\"bind\"} 1.0");
    }

    @Test
    void metricsFollowTheCounterAsItChanges() throws Exception {
        Counter c = Counter.builder().name("bytes_relayed").register(registry);
        c.inc(5);
        assertThat(get("/metrics").body()).contains("bytes_relayed_total 5.0");
        c.inc(2);
        assertThat(get("/metrics").body()).contains("bytes_relayed_total 7.0");
    }

    @Test
    void metricsJsonHasKumoMtasShape() throws Exception {
        Counter.builder().name("proxy_sessions_total").help("say \"hi\"").labelNames("command").register(registry)
                .labelValues("connect").inc(3);
        Gauge.builder().name("proxy_open").register(registry).set(2.5);
        Gauge two = Gauge.builder().name("ready_by").labelNames("source", "site").register(registry);
        two.labelValues("s1", "mx.example").set(4);
        Gauge.builder().name("never_set").labelNames("queue").register(registry);
        Histogram h = Histogram.builder().name("latency_seconds").classicUpperBounds(0.1, 1.0).register(registry);
        h.observe(0.05);
        h.observe(0.5);

        var response = get("/metrics.json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        // one label: {"label": {"value": n}}; no label: the number; more labels: a list with "@"; help only when set;
        // a counter under its registered name, without the _total of the text format (KumoMTA's names)
        assertThat(response.body())
                .contains("\"proxy_sessions\":{\"help\":\"say \\\"hi\\\"\",\"type\":\"counter\","
                        + "\"value\":{\"command\":{\"connect\":3}}}")
                .contains("\"proxy_open\":{\"type\":\"gauge\",\"value\":2.5}")
                .contains("\"ready_by\":{\"type\":\"gauge\",\"value\":[{\"site\":\"mx.example\",\"source\":\"s1\",\"@\":4}]}")
                .contains("\"never_set\":{\"type\":\"gauge\",\"value\":null}")
                .contains("\"latency_seconds\":{\"type\":\"histogram\",\"value\":{\"count\":2,\"sum\":0.55,"
                        + "\"avg\":0.275,\"bucket\":[[0.1,1],[1,2],[\"+Inf\",2]]}}");
    }

    @Test
    void metricsAreForTrustedPeersOnly() throws Exception {
        HttpServer strict = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withTrustedHosts(java.util.List.of("192.0.2.0/24")));
        MetricsRoutes.install(strict, registry);
        InetSocketAddress addr = strict.start();
        try {
            var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + addr.getPort() + "/metrics"))
                    .build(), BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(401);
        } finally {
            strict.stop();
        }
    }
}
