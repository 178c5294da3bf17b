package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.SmtpTimeouts;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.Peers;
import dev.sluice.testkit.PerRecipientSmtpd;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Recipients of one transaction answered differently at RCPT: only the accepted ones get the DATA result. */
class SmtpClientPerRecipientTest {
    @RegisterExtension
    final Peers peers = new Peers();

    private static final SinkChannels channels = new SinkChannels();

    @AfterAll
    static void closeChannels() {
        channels.close();
    }

    private static final byte[] MESSAGE = "Subject: mixed\n\nbody\n".getBytes(StandardCharsets.US_ASCII);

    private SmtpConnection open(PerRecipientSmtpd peer, SmtpClientOptions o) {
        return Await.done(SmtpClient.open(channels.connect(peer.address()), o));
    }

    private static SmtpClientOptions options(boolean pipelining) {
        return SmtpClientOptions.defaults("client.example").withEnableTls(TlsMode.Disabled).withEnablePipelining(pipelining);
    }

    @ParameterizedTest(name = "pipelining={0}")
    @ValueSource(booleans = {true, false})
    void eachRecipientGetsItsOwnResult(boolean pipelining) {
        PerRecipientSmtpd peer = peers.add(PerRecipientSmtpd.start(5));
        SmtpConnection c = open(peer, options(pipelining));
        List<String> rcpts = List.of("ok1@example.net", "defer1@example.net", "reject1@example.net", "ok2@example.net");

        TransactionResult r = Await.done(c.send(Envelope.of("sender@example.com", rcpts, MESSAGE)));

        assertThat(r.pipelined()).isEqualTo(pipelining);
        SmtpResponse queued = new SmtpResponse(250, new EnhancedStatusCode(2, 0, 0), "queued", ".");
        assertThat(r.resultFor("ok1@example.net")).isEqualTo(new DeliveryResult.Delivered(queued));
        assertThat(r.resultFor("ok2@example.net")).isEqualTo(new DeliveryResult.Delivered(queued));
        assertThat(r.resultFor("defer1@example.net")).isEqualTo(new DeliveryResult.Transient(new SmtpResponse(451,
                new EnhancedStatusCode(4, 2, 1), "mailbox busy", "RCPT TO:<defer1@example.net>")));
        assertThat(r.resultFor("reject1@example.net")).isEqualTo(new DeliveryResult.Permanent(new SmtpResponse(550,
                new EnhancedStatusCode(5, 1, 1), "no such user", "RCPT TO:<reject1@example.net>")));
        assertThat(peer.messages()).singleElement()
                .satisfies(m -> assertThat(m.rcptTo()).containsExactly("<ok1@example.net>", "<ok2@example.net>"));
    }

    @ParameterizedTest(name = "pipelining={0}")
    @ValueSource(booleans = {true, false})
    void rcptTimeoutMakesEveryPendingRecipientTransient(boolean pipelining) {
        PerRecipientSmtpd peer = peers.add(PerRecipientSmtpd.start(5));
        SmtpClientOptions o = options(pipelining).withTimeouts(SmtpTimeouts.DEFAULT.withRcptTo(Duration.ofSeconds(1)));
        SmtpConnection c = open(peer, o);
        List<String> rcpts = List.of("ok1@example.net", "slow1@example.net", "ok2@example.net");

        TransactionResult r = Await.done(c.send(Envelope.of("sender@example.com", rcpts, MESSAGE)));

        String text = "Sluice internal: timed out after 1s waiting for the response to RCPT TO:<slow1@example.net>";
        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content()).isEqualTo(text);
        });
        assertThat(c.isUsable()).isFalse();
        assertThat(peer.messages()).isEmpty();
    }

    @Test
    void connectionIsReusableAfterAPartiallyRejectedTransaction() {
        PerRecipientSmtpd peer = peers.add(PerRecipientSmtpd.start(5));
        SmtpConnection c = open(peer, options(true));

        TransactionResult first = Await.done(c.send(Envelope.of("sender@example.com",
                List.of("reject1@example.net", "reject2@example.net"), MESSAGE)));
        assertThat(first.recipients()).allSatisfy(rr -> assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class));

        TransactionResult second = Await.done(c.send(Envelope.of("sender@example.com", List.of("ok@example.net"), MESSAGE)));

        assertThat(second.allDelivered()).as("%s", second).isTrue();
        assertThat(peer.messages()).singleElement().satisfies(m -> assertThat(m.rcptTo()).containsExactly("<ok@example.net>"));
    }
}
