package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.Admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.testkit.CommandTool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.start_http_listener{...}} from a real policy file, and a server started from what it registered. */
class HttpListenerModuleTest {

    @TempDir
    Path dir;

    private List<HttpListenerConfig> runInit(String... lines) throws IOException, PolicyException {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "local kumo = require 'kumo'\nkumo.on('init', function()\n"
                + String.join("\n", lines) + "\nend)\n");
        var module = new HttpListenerModule();
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(module), null))) {
            policy.runOnce("init");
        }
        return module.listeners();
    }

    @Test
    void readsEveryKeyAndDefaultsLikeKumoMta() throws Exception {
        List<HttpListenerConfig> listeners = runInit(
                "kumo.start_http_listener { listen = '127.0.0.1:0', hostname = 'mta.example', ",
                "  trusted_hosts = { '127.0.0.1', '10.0.0.0/8' }, request_body_limit = 4096 }",
                "kumo.start_http_listener {}");

        assertThat(listeners).hasSize(2);
        HttpListenerConfig first = listeners.get(0);
        assertThat(first.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 0));
        assertThat(first.hostname()).isEqualTo("mta.example");
        assertThat(first.trustedHosts()).containsExactly("127.0.0.1", "10.0.0.0/8");
        assertThat(first.requestBodyLimit()).isEqualTo(4096);
        assertThat(first.useTls()).isFalse();

        HttpListenerConfig defaults = listeners.get(1);
        assertThat(defaults.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 8000));
        assertThat(defaults.trustedHosts()).containsExactly("127.0.0.1", "::1");
        assertThat(defaults.requestBodyLimit()).isEqualTo(2L * 1024 * 1024);
    }

    @Test
    void mistakesAreReportedAtThePolicyLine() {
        assertThatThrownBy(() -> runInit("kumo.start_http_listener { listen = '127.0.0.1:0', banner = 'x' }"))
                .hasMessageContaining("policy.lua:3").hasMessageContaining("unknown key 'banner'");
        assertThatThrownBy(() -> runInit("kumo.start_http_listener { listen = 'nowhere' }"))
                .hasMessageContaining("start_http_listener: key 'listen'");
        assertThatThrownBy(() -> runInit("kumo.start_http_listener { trusted_hosts = { '10.0.0.0/33' } }"))
                .hasMessageContaining("trusted_hosts");
        assertThatThrownBy(() -> runInit("kumo.start_http_listener { use_tls = true, tls_certificate = '/nonexistent.pem' }"))
                .hasMessageContaining("key 'tls_certificate': cannot read /nonexistent.pem (NoSuchFileException)");
        assertThatThrownBy(() -> runInit(
                "kumo.start_http_listener { use_tls = true, tls_certificate = { key_data = 'x' } }"))
                .hasMessageContaining("tls_certificate and tls_private_key must be given together");
    }

    @Test
    void aTlsListenerWithTheSelfSignedDefaultServesLivenessToCurl() throws Exception {
        List<HttpListenerConfig> listeners = runInit(
                "kumo.start_http_listener { listen = '127.0.0.1:0', use_tls = true, hostname = 'localhost' }");
        var server = new dev.sluice.net.http.HttpServer(listeners.getFirst());
        HttpIngress.install(server, new RecordingInjector(), Admission.ALWAYS);
        try {
            InetSocketAddress bound = server.start();
            var r = CommandTool.CURL.run("-sS", "-k", "https://127.0.0.1:" + bound.getPort() + HttpIngress.LIVENESS_PATH);
            assertThat(r.ok()).as(r.describe()).isTrue();
            assertThat(r.stdout()).isEqualTo("OK\n");
            var plain = CommandTool.CURL.run("-sS", "http://127.0.0.1:" + bound.getPort() + HttpIngress.LIVENESS_PATH);
            assertThat(plain.stdout()).doesNotContain("OK");
        } finally {
            server.stop();
        }
    }
}
