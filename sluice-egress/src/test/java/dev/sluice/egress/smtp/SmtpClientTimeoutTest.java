package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.SmtpTimeouts;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Session-setup and between-message timeouts (smtp-sink's -W command:delay makes the server slow). */
class SmtpClientTimeoutTest {
    @RegisterExtension
    final Peers peers = new Peers();

    private static final SinkChannels channels = new SinkChannels();

    @AfterAll
    static void closeChannels() {
        channels.close();
    }

    private static final Envelope ENVELOPE = Envelope.of("sender@example.com", List.of("a@example.net", "b@example.net"),
            "Subject: t\n\nt\n".getBytes(StandardCharsets.US_ASCII));

    private static SmtpClientOptions options(SmtpTimeouts t) {
        return SmtpClientOptions.defaults("client.example").withEnableTls(TlsMode.Disabled).withTimeouts(t);
    }

    private static SmtpOpenException openFailure(CompletableFuture<SmtpConnection> f) {
        Throwable t = Await.failure(f);
        assertThat(t).isInstanceOf(SmtpOpenException.class);
        return (SmtpOpenException) t;
    }

    @Test
    void silentServerHitsTheBannerTimeout() throws IOException {
        // A listener that accepts and never says anything: no SMTP tool here can withhold its banner.
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<SmtpConnection> f = SmtpClient.open(
                    channels.connect(new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort())),
                    options(SmtpTimeouts.DEFAULT.withBanner(Duration.ofMillis(800))));
            try (Socket accepted = silent.accept()) {
                SmtpOpenException e = openFailure(f);

                assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
                assertThat(e.response().content()).isEqualTo("Sluice internal: timed out after 800ms waiting for the response to the banner");
                assertThat(accepted.getInputStream().read()).as("client closed the connection").isEqualTo(-1);
            }
        }
    }

    @Test
    void slowEhloHitsTheEhloTimeout() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-W", "ehlo:5").start());

        SmtpOpenException e = openFailure(SmtpClient.open(channels.connect(sink.address()),
                options(SmtpTimeouts.DEFAULT.withEhlo(Duration.ofSeconds(1)))));

        assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(e.response().content()).isEqualTo("Sluice internal: timed out after 1s waiting for the response to EHLO client.example");
    }

    @Test
    void slowMailFromHitsTheMailFromTimeout() {
        // Step by step: smtp-sink -W answers the pipelined RCPTs (503) before the delayed MAIL.
        SmtpSink sink = peers.add(SmtpSink.builder().option("-W", "mail:5").start());
        SmtpConnection c = Await.done(SmtpClient.open(channels.connect(sink.address()),
                options(SmtpTimeouts.DEFAULT.withMailFrom(Duration.ofSeconds(1))).withEnablePipelining(false)));

        TransactionResult r = Await.done(c.send(ENVELOPE));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content())
                    .isEqualTo("Sluice internal: timed out after 1s waiting for the response to MAIL FROM:<sender@example.com>");
        });
    }

    @Test
    void slowRsetBetweenMessagesHitsTheRsetTimeout() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-W", "rset:5").start());
        SmtpConnection c = Await.done(SmtpClient.open(channels.connect(sink.address()),
                options(SmtpTimeouts.DEFAULT.withRset(Duration.ofSeconds(1)))));
        assertThat(Await.done(c.send(ENVELOPE)).allDelivered()).isTrue();

        TransactionResult second = Await.done(c.send(ENVELOPE));

        assertThat(second.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content()).isEqualTo("Sluice internal: timed out after 1s waiting for the response to RSET");
        });
        assertThat(c.isUsable()).isFalse();
        assertThat(c.deliveries()).isEqualTo(1);
        assertThat(Await.done(c.rset()).content()).startsWith("Sluice internal: connection not usable: ");
    }

    @Test
    void serverThatNeverStartsTheHandshakeHitsTheStarttlsTimeout() throws Exception {
        // Scripted: offers STARTTLS, says 220 to it, then stays silent instead of doing TLS.
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<SmtpConnection> f = SmtpClient.open(
                    channels.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort())),
                    SmtpClientOptions.defaults("client.example").withEnableTls(TlsMode.RequiredInsecure)
                            .withTimeouts(SmtpTimeouts.DEFAULT.withStarttls(Duration.ofSeconds(1))));
            try (Socket s = server.accept()) {
                var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                var out = s.getOutputStream();
                out.write("220 scripted ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("EHLO client.example");
                out.write("250-scripted\r\n250 STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("STARTTLS");
                out.write("220 go ahead\r\n".getBytes(StandardCharsets.US_ASCII));

                SmtpOpenException e = openFailure(f);

                assertThat(e.asResult()).isInstanceOf(DeliveryResult.Transient.class);
                assertThat(e.response().content())
                        .startsWith("Sluice internal: TLS handshake failed (enable_tls is RequiredInsecure): ")
                        .containsIgnoringCase("timed out");
            }
        }
    }

    @Test
    void connectionTheServerDroppedWhileIdleIsNotReused() {
        // smtp-sink -t 1: the server gives up on a client that sends nothing for a second.
        SmtpSink sink = peers.add(SmtpSink.builder().option("-t", "1").start());
        SmtpConnection c = Await.done(SmtpClient.open(channels.connect(sink.address()),
                options(SmtpTimeouts.DEFAULT.withIdle(Duration.ofMinutes(5)))));
        assertThat(Await.done(c.send(ENVELOPE)).allDelivered()).isTrue();

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !c.isUsable());
        TransactionResult r = Await.done(c.send(ENVELOPE));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content()).startsWith("Sluice internal: connection not usable: ");
        });
        assertThat(c.deliveries()).isEqualTo(1);
    }
}
