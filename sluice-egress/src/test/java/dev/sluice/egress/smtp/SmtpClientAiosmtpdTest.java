package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.AiosmtpdSink;
import dev.sluice.testkit.Peers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Replies smtp-sink cannot make: SIZE, enhanced codes on RCPT, a 4xx to the final dot. */
class SmtpClientAiosmtpdTest {
    @RegisterExtension
    final Peers peers = new Peers();

    private static final SinkChannels channels = new SinkChannels();

    @AfterAll
    static void closeChannels() {
        channels.close();
    }

    private static final List<String> TWO = List.of("a@example.net", "b@example.net");

    private SmtpConnection open(AiosmtpdSink sink, SinkChannels.WireLog log) {
        return Await.done(SmtpClient.open(channels.connect(sink.address(), log),
                SmtpClientOptions.defaults("client.example").withEnableTls(TlsMode.Disabled)));
    }

    private static Envelope envelope(byte[] message) {
        return Envelope.of("sender@example.com", TWO, message);
    }

    @Test
    void mailFromCarriesSizeAndTooLargeMessagesAreRefusedLocally() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, log);
        long limit = c.capabilities().sizeLimit().orElseThrow();

        byte[] small = "Subject: s\n\nsmall\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Await.done(c.send(envelope(small))).allDelivered()).isTrue();
        assertThat(log.flushWith("MAIL FROM")).startsWith("MAIL FROM:<sender@example.com> SIZE=" + small.length + "\r\n");

        byte[] big = new byte[(int) limit + 1];
        Arrays.fill(big, (byte) 'x');
        TransactionResult r = Await.done(c.send(envelope(big)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().code()).isEqualTo(552);
            assertThat(rr.result().response().content()).isEqualTo("Sluice internal: message is " + big.length
                    + " bytes, more than the SIZE " + limit + " the server advertised");
        });
        assertThat(log.flushes.stream().filter(f -> f.contains("MAIL FROM"))).hasSize(1);
        assertThat(c.isUsable()).isTrue();
    }

    @Test
    void permanentRcptRejectionKeepsTheEnhancedCode() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().rcptReply("550 5.1.1 no such user").start());
        SmtpConnection c = open(sink, null);

        TransactionResult r = Await.done(c.send(envelope("Subject: x\n\nx\n".getBytes(StandardCharsets.US_ASCII))));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isEqualTo(new DeliveryResult.Permanent(new SmtpResponse(550,
                    new EnhancedStatusCode(5, 1, 1), "no such user", "RCPT TO:<" + rr.recipient() + ">")));
        });
        // Nobody accepted: the pipelined DATA was refused by the server, and the session is still usable.
        assertThat(c.isUsable()).isTrue();
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void transientReplyToTheFinalDotIsTransientForAcceptedRecipients() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().dataReply("451 4.3.0 try later").start());
        SmtpConnection c = open(sink, null);

        TransactionResult r = Await.done(c.send(envelope("Subject: x\n\nx\n".getBytes(StandardCharsets.US_ASCII))));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response()).isEqualTo(new SmtpResponse(451, new EnhancedStatusCode(4, 3, 0), "try later", "."));
        });
        // The transaction ended with the dot: the connection can take the next message.
        assertThat(c.isUsable()).isTrue();
    }

    @Test
    void smtputf8MessageIsSentWithTheSmtputf8ParameterWhenAdvertised() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, log);
        assertThat(c.capabilities().smtpUtf8()).isTrue();

        TransactionResult r = Await.done(c.send(new Envelope("s\u00e9nder@example.com", List.of("\u00fc@example.net"),
                "Subject: gr\u00fc\u00dfe\n\nna\u00efve\n".getBytes(StandardCharsets.UTF_8), true, true)));

        assertThat(r.allDelivered()).as("%s", r).isTrue();
        assertThat(log.flushWith("MAIL FROM")).contains(" BODY=8BITMIME SMTPUTF8\r\n");
        var m = sink.awaitMessages(1).getFirst();
        // The testkit reads dumps byte for byte as ISO-8859-1; the sink wrote what arrived, UTF-8.
        assertThat(m.rcptTo()).extracting(SmtpClientAiosmtpdTest::utf8).containsExactly("<\u00fc@example.net>");
        assertThat(utf8(m.header("Subject").orElseThrow())).isEqualTo("gr\u00fc\u00dfe");
    }

    private static String utf8(String latin1) {
        return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
}
