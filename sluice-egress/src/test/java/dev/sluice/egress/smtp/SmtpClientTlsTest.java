package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.AiosmtpdSink;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Peers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * enable_tls against aiosmtpd with and without STARTTLS (a self-signed certificate for localhost); the sink
 * records X-TLS: yes|no for each message it saved.
 */
class SmtpClientTlsTest {
    @RegisterExtension
    final Peers peers = new Peers();

    private static final SinkChannels channels = new SinkChannels();

    @AfterAll
    static void closeChannels() {
        channels.close();
    }

    private static final Envelope ENVELOPE = Envelope.of("sender@example.com", List.of("rcpt@example.net"),
            "Subject: tls\n\nhello over tls?\n".getBytes(StandardCharsets.US_ASCII));

    private AiosmtpdSink withStarttls() {
        return peers.add(AiosmtpdSink.builder().starttls().start());
    }

    private AiosmtpdSink plain() {
        return peers.add(AiosmtpdSink.builder().start());
    }

    /** Verifying trust: the JDK's public CAs (which do not include the sink's self-signed certificate). */
    private static SmtpClientOptions options(TlsMode mode) {
        return SmtpClientOptions.defaults("client.example").withEnableTls(mode)
                .withTls(ClientTlsContexts.systemDefault(), "localhost");
    }

    private CompletableFuture<SmtpConnection> open(AiosmtpdSink sink, SmtpClientOptions o, SinkChannels.WireLog log) {
        return SmtpClient.open(channels.connect(sink.address(), log), o);
    }

    private static String deliverAndReadTlsHeader(SmtpConnection c, AiosmtpdSink sink) {
        TransactionResult r = Await.done(c.send(ENVELOPE));
        assertThat(r.allDelivered()).as("%s", r).isTrue();
        DumpedMessage m = sink.awaitMessages(1).getFirst();
        return m.header("X-TLS").orElseThrow();
    }

    private static SmtpOpenException openFailure(CompletableFuture<SmtpConnection> f) {
        Throwable t = Await.failure(f);
        assertThat(t).isInstanceOf(SmtpOpenException.class);
        return (SmtpOpenException) t;
    }

    @Test
    void disabledNeverSendsStarttls() {
        AiosmtpdSink sink = withStarttls();
        var log = new SinkChannels.WireLog();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.Disabled), log));

        assertThat(c.capabilities().startTls()).isTrue();
        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("no");
        assertThat(c.tls()).isEmpty();
        assertThat(log.flushes).noneMatch(f -> f.contains("STARTTLS"));
    }

    @Test
    void opportunisticFailsOnAnUntrustedCertificateWithoutFallingBack() {
        AiosmtpdSink sink = withStarttls();
        SmtpOpenException e = openFailure(open(sink, options(TlsMode.Opportunistic), null));

        assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(e.response().command()).isEqualTo("STARTTLS");
        assertThat(e.response().content()).startsWith("Sluice internal: TLS handshake failed (enable_tls is Opportunistic): ")
                .containsIgnoringCase("certification path");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void opportunisticUsesTlsWithATrustedCertificate() throws IOException {
        AiosmtpdSink sink = withStarttls();
        SmtpClientOptions o = options(TlsMode.Opportunistic)
                .withTls(ClientTlsContexts.trusting(Files.readAllBytes(sink.certificate())), "localhost");
        SmtpConnection c = Await.done(open(sink, o, null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("yes");
        TlsInfo tls = c.tls().orElseThrow();
        assertThat(tls.verified()).isTrue();
        assertThat(tls.protocol()).startsWith("TLSv1.");
        assertThat(tls.cipherSuite()).startsWith("TLS_");
        assertThat(tls.peerSubject()).isEqualTo("CN=localhost");
    }

    @Test
    void opportunisticStaysInClearTextWhenStarttlsIsNotOffered() {
        AiosmtpdSink sink = plain();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.Opportunistic), null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("no");
        assertThat(c.tls()).isEmpty();
    }

    @Test
    void opportunisticInsecureAcceptsTheSelfSignedCertificate() {
        AiosmtpdSink sink = withStarttls();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.OpportunisticInsecure), null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("yes");
        assertThat(c.tls().orElseThrow().verified()).isFalse();
    }

    @Test
    void opportunisticInsecureStaysInClearTextWhenStarttlsIsNotOffered() {
        AiosmtpdSink sink = plain();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.OpportunisticInsecure), null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("no");
    }

    @Test
    void requiredFailsTransientlyWhenStarttlsIsNotOffered() {
        AiosmtpdSink sink = plain();
        var log = new SinkChannels.WireLog();
        SmtpOpenException e = openFailure(open(sink, options(TlsMode.Required), log));

        assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(e.response().code()).isEqualTo(421);
        assertThat(e.response().content())
                .isEqualTo("Sluice internal: enable_tls is Required but the server did not advertise STARTTLS");
        assertThat(log.flushes).noneMatch(f -> f.contains("MAIL FROM"));
    }

    @Test
    void requiredFailsVerificationOfTheSelfSignedCertificate() {
        AiosmtpdSink sink = withStarttls();
        SmtpOpenException e = openFailure(open(sink, options(TlsMode.Required), null));

        assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(e.response().content()).startsWith("Sluice internal: TLS handshake failed (enable_tls is Required): ");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void requiredFailsWhenTheCertificateNameDoesNotMatch() throws IOException {
        AiosmtpdSink sink = withStarttls();
        SmtpClientOptions o = options(TlsMode.Required)
                .withTls(ClientTlsContexts.trusting(Files.readAllBytes(sink.certificate())), "mx.example.org");

        SmtpOpenException e = openFailure(open(sink, o, null));

        assertThat(e.response().content()).startsWith("Sluice internal: TLS handshake failed (enable_tls is Required): ")
                .contains("mx.example.org");
    }

    @Test
    void requiredSucceedsWithATrustedCertificate() {
        AiosmtpdSink sink = withStarttls();
        SmtpClientOptions o = options(TlsMode.Required).withTls(trust(sink), "localhost");
        SmtpConnection c = Await.done(open(sink, o, null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("yes");
        assertThat(c.tls().orElseThrow().verified()).isTrue();
    }

    @Test
    void requiredInsecureAcceptsTheSelfSignedCertificate() {
        AiosmtpdSink sink = withStarttls();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.RequiredInsecure), null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("yes");
        assertThat(c.tls().orElseThrow().verified()).isFalse();
    }

    @Test
    void requiredInsecureFailsWhenStarttlsIsNotOffered() {
        AiosmtpdSink sink = plain();
        SmtpOpenException e = openFailure(open(sink, options(TlsMode.RequiredInsecure), null));

        assertThat(e.response().content())
                .isEqualTo("Sluice internal: enable_tls is RequiredInsecure but the server did not advertise STARTTLS");
    }

    @Test
    void serverThatRequiresStarttlsIsServedAfterTheUpgrade() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().requireStarttls().start());
        SmtpConnection c = Await.done(open(sink, options(TlsMode.OpportunisticInsecure), null));

        assertThat(deliverAndReadTlsHeader(c, sink)).isEqualTo("yes");
    }

    @Test
    void reusesATlsConnection() {
        AiosmtpdSink sink = withStarttls();
        SmtpConnection c = Await.done(open(sink, options(TlsMode.RequiredInsecure), null));

        for (int i = 0; i < 3; i++) assertThat(Await.done(c.send(ENVELOPE)).allDelivered()).isTrue();

        assertThat(sink.awaitMessages(3)).extracting(m -> m.header("X-TLS").orElseThrow()).containsOnly("yes");
        assertThat(c.deliveries()).isEqualTo(3);
    }

    private static ClientTlsContexts trust(AiosmtpdSink sink) {
        try {
            return ClientTlsContexts.trusting(Files.readAllBytes(sink.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
