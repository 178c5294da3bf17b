package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.SmtpTimeouts;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client against Postfix smtp-sink, its faults made with smtp-sink's own switches. */
class SmtpClientSinkTest {
    @RegisterExtension
    final Peers peers = new Peers();

    private static final SinkChannels channels = new SinkChannels();

    private static final String MESSAGE = """
            From: sender@example.com
            To: one@example.net
            Subject: sluice smtp client test

            first line
            .hidden
            ..two dots
            .
            last line""";

    private static final List<String> THREE = List.of("one@example.net", "two@example.net", "three@example.net");

    @AfterAll
    static void closeChannels() {
        channels.close();
    }

    private static SmtpClientOptions options() {
        return SmtpClientOptions.defaults("client.example").withEnableTls(TlsMode.Disabled);
    }

    private static Envelope envelope(List<String> rcpts) {
        return Envelope.of("sender@example.com", rcpts, MESSAGE.getBytes(StandardCharsets.US_ASCII));
    }

    private SmtpConnection open(SmtpSink sink, SmtpClientOptions o, SinkChannels.WireLog log) {
        return Await.done(SmtpClient.open(channels.connect(sink.address(), log), o));
    }

    /** Dumps with content: smtp-sink leaves an empty file for a transaction that never reached the final dot. */
    private static List<DumpedMessage> completeDumps(SmtpSink sink) {
        return sink.messages().stream().filter(m -> !m.headers().isEmpty()).toList();
    }

    @Test
    void deliversOneMessageToThreeRecipientsPipelined() {
        SmtpSink sink = peers.add(SmtpSink.start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.allDelivered()).as("%s", r).isTrue();
        assertThat(r.recipients()).extracting(RecipientResult::recipient).containsExactlyElementsOf(THREE);
        SmtpResponse dot = r.resultFor("two@example.net").response();
        assertThat(dot.code()).isEqualTo(250);
        assertThat(dot.enhanced()).hasToString("2.0.0");
        assertThat(dot.command()).isEqualTo(".");
        assertThat(r.pipelined()).isTrue();
        // MAIL, the three RCPTs and DATA left in one write.
        assertThat(log.flushWith("MAIL FROM:<sender@example.com>"))
                .contains("RCPT TO:<one@example.net>", "RCPT TO:<three@example.net>", "DATA\r\n");

        DumpedMessage m = sink.awaitMessages(1).getFirst();
        assertThat(m.rcptTo()).containsExactly("<one@example.net>", "<two@example.net>", "<three@example.net>");
        assertThat(m.mailFrom()).isEqualTo("<sender@example.com>");
        assertThat(m.helo()).isEqualTo("client.example");
        assertThat(m.header("Subject")).contains("sluice smtp client test");
        assertThat(m.body()).contains("first line\n.hidden\n..two dots\n.\nlast line\n");
        assertThat(c.deliveries()).isEqualTo(1);
        assertThat(c.isUsable()).isTrue();
    }

    @Test
    void sendsStepByStepWhenPipeliningIsNotAdvertised() {
        SmtpSink sink = peers.add(SmtpSink.builder().noPipelining().start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);
        assertThat(c.capabilities().pipelining()).isFalse();

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.allDelivered()).as("%s", r).isTrue();
        assertThat(r.pipelined()).isFalse();
        assertThat(log.flushWith("MAIL FROM")).doesNotContain("RCPT");
        assertThat(log.flushWith("RCPT TO:<two@")).doesNotContain("RCPT TO:<three@").doesNotContain("DATA");
        assertThat(sink.awaitMessages(1).getFirst().rcptTo()).hasSize(3);
    }

    @Test
    void enablePipeliningFalseSendsStepByStepEvenWhenAdvertised() {
        SmtpSink sink = peers.add(SmtpSink.start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options().withEnablePipelining(false), log);
        assertThat(c.capabilities().pipelining()).isTrue();

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.allDelivered()).isTrue();
        assertThat(r.pipelined()).isFalse();
        assertThat(log.flushWith("MAIL FROM")).doesNotContain("RCPT");
    }

    @Test
    void fallsBackToHeloWhenTheServerRejectsEhlo() {
        SmtpSink sink = peers.add(SmtpSink.builder().noEsmtp().start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);

        assertThat(c.capabilities().esmtp()).isFalse();
        assertThat(log.flushes).anyMatch(f -> f.startsWith("EHLO client.example")).anyMatch(f -> f.startsWith("HELO client.example"));
        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.allDelivered()).as("%s", r).isTrue();
        DumpedMessage m = sink.awaitMessages(1).getFirst();
        assertThat(m.header("X-Client-Proto")).contains("SMTP");
        assertThat(m.helo()).isEqualTo("client.example");
    }

    @Test
    void softRejectedRcptIsTransientAndNothingIsDelivered() {
        // smtp-sink -r rcpt rejects every RCPT with 450 (it cannot single out one recipient).
        SmtpSink sink = peers.add(SmtpSink.builder().softReject("rcpt").start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().code()).isEqualTo(450);
            assertThat(rr.result().response().command()).isEqualTo("RCPT TO:<" + rr.recipient() + ">");
        });
        assertThat(log.flushes).noneMatch(f -> f.contains("DATA")); // nobody accepted: no DATA
        assertThat(completeDumps(sink)).isEmpty();
        assertThat(c.isUsable()).isTrue();

        // The MAIL transaction is still open on the server: the next send starts with RSET.
        Await.done(c.send(envelope(List.of("again@example.net"))));
        assertThat(log.flushes).anyMatch(f -> f.startsWith("RSET"));
    }

    @Test
    void hardRejectedMailIsPermanentForEveryRecipient() {
        SmtpSink sink = peers.add(SmtpSink.builder().hardReject("mail").start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).hasSize(3).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().code()).isEqualTo(500);
            assertThat(rr.result().response().enhanced()).hasToString("5.3.0");
            assertThat(rr.result().response().content()).isEqualTo("Error: command failed");
            assertThat(rr.result().response().command()).isEqualTo("MAIL FROM:<sender@example.com>");
        });
        assertThat(completeDumps(sink)).isEmpty();
    }

    @Test
    void hardRejectedDataIsPermanent() {
        SmtpSink sink = peers.add(SmtpSink.builder().hardReject("data").start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().command()).isEqualTo("DATA");
        });
        assertThat(completeDumps(sink)).isEmpty();
    }

    @Test
    void softRejectedDataIsTransient() {
        SmtpSink sink = peers.add(SmtpSink.builder().softReject("data").start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().code()).isEqualTo(450);
            assertThat(rr.result().response().command()).isEqualTo("DATA");
        });
    }

    @Test
    void hardRejectedFinalDotIsPermanent() {
        SmtpSink sink = peers.add(SmtpSink.builder().hardReject(".").start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().command()).isEqualTo(".");
        });
    }

    @Test
    void disconnectAfterDataIsTransientWithAClearReason() {
        SmtpSink sink = peers.add(SmtpSink.builder().disconnectAfter("data").start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().code()).isEqualTo(421);
            assertThat(rr.result().response().content())
                    .startsWith("Sluice internal: connection closed")
                    .endsWith("while waiting for the response to DATA");
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> !c.isUsable());
        // A later send on the dead connection is transient too, without touching the network.
        TransactionResult again = Await.done(c.send(envelope(List.of("x@example.net"))));
        assertThat(again.recipients().getFirst().result()).isInstanceOf(DeliveryResult.Transient.class);
        assertThat(again.recipients().getFirst().result().response().content()).contains("connection not usable");
    }

    @Test
    void disconnectAfterRcptStepwiseMarksUnsentRecipientsTransient() {
        SmtpSink sink = peers.add(SmtpSink.builder().disconnectAfter("rcpt").start());
        SmtpConnection c = open(sink, options().withEnablePipelining(false), null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class));
        assertThat(r.resultFor("one@example.net").response().content())
                .isEqualTo("Sluice internal: connection closed while waiting for the response to RCPT TO:<one@example.net>");
    }

    @Test
    void slowDataReplyTimesOutAsTransient() {
        // Step by step: with PIPELINING smtp-sink holds back the MAIL and RCPT replies too until it answers DATA.
        SmtpSink sink = peers.add(SmtpSink.builder().dataDelay(5).start());
        SmtpClientOptions o = options().withEnablePipelining(false)
                .withTimeouts(SmtpTimeouts.DEFAULT.withData(Duration.ofSeconds(1)));
        SmtpConnection c = open(sink, o, null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content())
                    .isEqualTo("Sluice internal: timed out after 1s waiting for the response to DATA");
            assertThat(rr.result().response().command()).isEqualTo("DATA");
        });
        assertThat(c.isUsable()).isFalse();
    }

    @Test
    void slowFinalDotReplyTimesOutWithTheDataDotTimeout() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-W", ".:5").start());
        SmtpClientOptions o = options().withTimeouts(SmtpTimeouts.DEFAULT.withDataDot(Duration.ofMillis(1500)));
        SmtpConnection c = open(sink, o, null);

        TransactionResult r = Await.done(c.send(envelope(THREE)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Transient.class);
            assertThat(rr.result().response().content())
                    .isEqualTo("Sluice internal: timed out after 1500ms waiting for the response to the final dot of DATA");
        });
    }

    @Test
    void reusesOneConnectionForThreeTransactionsWithRset() {
        SmtpSink sink = peers.add(SmtpSink.start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);

        for (int i = 0; i < 3; i++) {
            TransactionResult r = Await.done(c.send(envelope(List.of("r" + i + "@example.net"))));
            assertThat(r.allDelivered()).as("transaction %d: %s", i, r).isTrue();
        }

        assertThat(c.deliveries()).isEqualTo(3);
        assertThat(log.flushes.stream().filter(f -> f.startsWith("RSET"))).hasSize(2);
        SmtpResponse probe = Await.done(c.rset());
        assertThat(probe.code()).isEqualTo(250);
        assertThat(probe.command()).isEqualTo("RSET");
        List<DumpedMessage> dumps = sink.awaitMessages(3);
        assertThat(dumps).hasSize(3);
        assertThat(dumps.stream().map(DumpedMessage::clientAddr).distinct()).hasSize(1);
        Await.done(c.quit());
        assertThat(c.isUsable()).isFalse();
        assertThat(log.flushes).anyMatch(f -> f.startsWith("QUIT"));
    }

    @Test
    void enableRsetFalseReusesWithoutRset() {
        SmtpSink sink = peers.add(SmtpSink.start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options().withEnableRset(false), log);

        for (int i = 0; i < 3; i++) assertThat(Await.done(c.send(envelope(List.of("r" + i + "@example.net")))).allDelivered()).isTrue();

        assertThat(log.flushes).noneMatch(f -> f.startsWith("RSET"));
        assertThat(sink.awaitMessages(3)).hasSize(3);
    }

    @Test
    void idleConnectionQuitsAfterTheIdleTimeout() {
        SmtpSink sink = peers.add(SmtpSink.start());
        var log = new SinkChannels.WireLog();
        SmtpClientOptions o = options().withTimeouts(SmtpTimeouts.DEFAULT.withIdle(Duration.ofMillis(500)));
        SmtpConnection c = open(sink, o, log);
        assertThat(Await.done(c.send(envelope(THREE))).allDelivered()).isTrue();

        await().atMost(Duration.ofSeconds(30)).until(() -> c.closeFuture().isDone());
        assertThat(log.flushes).anyMatch(f -> f.startsWith("QUIT"));
        assertThat(c.isUsable()).isFalse();
    }

    @Test
    void eightBitMessageIsSentWithBody8bitmime() {
        SmtpSink sink = peers.add(SmtpSink.start());
        SmtpConnection c = open(sink, options(), null);
        byte[] msg = "Subject: caf\u00e9\n\nna\u00efve\n".getBytes(StandardCharsets.UTF_8);

        TransactionResult r = Await.done(c.send(new Envelope("sender@example.com", THREE, msg, true, false)));

        assertThat(r.allDelivered()).isTrue();
        assertThat(sink.awaitMessages(1).getFirst().mailFrom()).isEqualTo("<sender@example.com> BODY=8BITMIME");
    }

    @Test
    void eightBitMessageIsRefusedLocallyWithout8bitmime() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-8").start());
        var log = new SinkChannels.WireLog();
        SmtpConnection c = open(sink, options(), log);
        byte[] msg = "Subject: caf\u00e9\n\nna\u00efve\n".getBytes(StandardCharsets.UTF_8);

        TransactionResult r = Await.done(c.send(new Envelope("sender@example.com", THREE, msg, true, false)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().content()).isEqualTo("Sluice internal: message needs 8BITMIME but the server did not advertise it");
        });
        assertThat(log.flushes).noneMatch(f -> f.contains("MAIL FROM"));
        assertThat(c.deliveries()).isZero();
        assertThat(c.isUsable()).isTrue();
    }

    @Test
    void smtputf8MessageIsRefusedLocallyWhenNotAdvertised() {
        SmtpSink sink = peers.add(SmtpSink.start());
        SmtpConnection c = open(sink, options(), null);

        TransactionResult r = Await.done(c.send(new Envelope("s\u00e9nder@example.com", THREE,
                "Subject: x\n\nx\n".getBytes(StandardCharsets.UTF_8), true, true)));

        assertThat(r.recipients()).allSatisfy(rr -> {
            assertThat(rr.result()).isInstanceOf(DeliveryResult.Permanent.class);
            assertThat(rr.result().response().enhanced()).hasToString("5.6.7");
        });
    }

    @Test
    void moreRecipientsThanTheBatchLimitAreTheCallersJob() {
        SmtpSink sink = peers.add(SmtpSink.start());
        SmtpConnection c = open(sink, options().withMaxRecipientsPerBatch(2), null);
        Envelope env = envelope(THREE);

        assertThat(Await.failure(c.send(env))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Envelope.batches");

        List<Envelope> batches = env.batches(2);
        assertThat(batches).extracting(Envelope::recipients)
                .containsExactly(List.of("one@example.net", "two@example.net"), List.of("three@example.net"));
        for (Envelope b : batches) assertThat(Await.done(c.send(b)).allDelivered()).isTrue();
        assertThat(sink.awaitMessages(2)).extracting(m -> m.rcptTo().size()).containsExactlyInAnyOrder(2, 1);
    }
}
