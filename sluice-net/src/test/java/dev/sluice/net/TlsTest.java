package dev.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TlsTest {
    @Test
    void selfSignedCertificateNamesTheHost() throws Exception {
        Tls.SelfSigned s = Tls.selfSigned("mx.example.test");
        assertThat(s.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=mx.example.test");
        assertThat(s.certificate().getSubjectAlternativeNames()).anySatisfy(n -> assertThat(n.get(1)).isEqualTo("mx.example.test"));
        s.certificate().verify(s.keyPair().getPublic());
        assertThat(new String(s.certificatePem(), StandardCharsets.US_ASCII)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(new String(s.privateKeyPem(), StandardCharsets.US_ASCII)).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void serverAndClientContextsFromPem() throws Exception {
        Tls.SelfSigned s = Tls.selfSigned("proxy.test");
        SslContext server = Tls.serverContext(s.certificatePem(), s.privateKeyPem());
        assertThat(server.isServer()).isTrue();
        assertThat(Tls.clientContext(s.certificatePem()).isClient()).isTrue();
        assertThat(Tls.insecureClientContext().isClient()).isTrue();
        assertThat(Tls.selfSignedServerContext("proxy.test").isServer()).isTrue();
    }

    @Test
    void mismatchedOrBrokenPemIsRejected() {
        assertThatThrownBy(() -> Tls.serverContext("junk".getBytes(), "junk".getBytes())).isInstanceOf(Exception.class);
    }
}
