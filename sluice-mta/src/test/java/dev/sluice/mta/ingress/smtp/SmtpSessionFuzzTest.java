package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.mta.ingress.Admission;
import dev.sluice.mta.message.Message;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * A whole ESMTP conversation from fuzzed client bytes through {@link SmtpFramer}, {@link SmtpSessionHandler} and
 * the command dispatch ({@link CommandDispatcher}: HELO/EHLO, MAIL with {@link PathArgument} and its
 * parameters, RCPT, DATA, RSET, ...), with small limits from {@link EsmtpParams}. For any bytes: no exception
 * escapes; every reply line is {@code ddd[ -]text CRLF} with a 2xx-5xx code and no control bytes in the text, the first is the
 * 220 banner; every injected message has a mailbox recipient, a null or mailbox sender, at most
 * max_recipients_per_message siblings and at most max_messages_per_connection transactions; unless
 * invalid_line_endings is Allow, no injected message contains a bare CR or LF; every buffer is released.
 */
class SmtpSessionFuzzTest {
    // no control bytes in reply text; UTF-8 (an SMTPUTF8 address echoed in a refusal) is allowed, RFC 6531 3.7.4
    private static final Pattern REPLY_LINE = Pattern.compile("[2-5][0-9][0-9][ -][^\\x00-\\x1f\\x7f]*");
    private static final InetSocketAddress LOCAL = new InetSocketAddress("192.0.2.2", 25);

    @FuzzTest(maxDuration = "4s")
    // libFuzzer dictionary syntax: control bytes as \xNN escapes
    @DictionaryEntries({"EHLO ", "HELO ", "MAIL FROM:<", "RCPT TO:<", "@relay.test>", "> SIZE=", " BODY=8BITMIME",
            " SMTPUTF8", "DATA\\x0D\\x0A", "\\x0D\\x0A.\\x0D\\x0A", "RSET", "NOOP", "QUIT", "VRFY ", "HELP",
            "\\x0D\\x0A"})
    void conversation(FuzzedDataProvider data) throws Exception {
        boolean relayClient = data.consumeBoolean();
        InvalidLineEndings mode = data.pickValue(InvalidLineEndings.values());
        int maxRecipients = data.consumeInt(1, 4);
        int maxMessages = data.consumeInt(1, 4);
        int lineLimit = data.consumeInt(16, 200);
        byte[] sizes = data.consumeBytes(data.consumeInt(0, 8));
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        EsmtpParams params = EsmtpParams.defaults("mx.test").withMaxMessageSize(2000)
                .withMaxRecipientsPerMessage(maxRecipients).withMaxMessagesPerConnection(maxMessages)
                .withLineLengthHardLimit(lineLimit).withInvalidLineEndings(mode);
        RecordingInjector injector = new RecordingInjector();
        EsmtpServices services = new EsmtpServices(injector,
                (domain, context) -> CompletableFuture.completedFuture(domain.endsWith("relay.test")),
                Admission.ALWAYS, Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
        InetSocketAddress peer = new InetSocketAddress(relayClient ? "127.0.0.1" : "192.0.2.1", 40000);
        SmtpSession session = new SmtpSession("fuzz", services, params, peer, LOCAL);
        SmtpFramer framer = new SmtpFramer(params.lineLengthHardLimit());
        SmtpSessionHandler handler = new SmtpSessionHandler(session, CommandDispatcher.standard(false),
                new MessageReceiver(), framer, null, EsmtpListenerConfig.of(LOCAL, params), new ClientConnectionCounts(),
                "127.0.0.1:25");
        FuzzFeed feed = new FuzzFeed();
        EmbeddedChannel ch = new AddressedChannel(peer);
        ch.config().setAllocator(feed.allocator);
        ch.pipeline().addLast(framer, handler);
        ch.register();
        feed.feed(ch, input, sizes);
        ch.runPendingTasks();
        ch.checkException();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            out.writeBytes(FuzzFeed.drain((ByteBuf) o));
        }
        ch.finishAndReleaseAll();
        feed.assertReleased();

        String replies = out.toString(StandardCharsets.ISO_8859_1);
        assertThat(replies).startsWith("220 ").endsWith("\r\n");
        for (String line : replies.substring(0, replies.length() - 2).split("\r\n", -1)) {
            assertThat(line).as("reply line").matches(REPLY_LINE);
        }
        assertThat(injector.calls.size()).isLessThanOrEqualTo(maxMessages);
        for (RecordingInjector.Call call : injector.calls) {
            assertThat(call.messages()).isNotEmpty().hasSizeLessThanOrEqualTo(maxRecipients);
            for (Message m : call.messages()) {
                assertThat(PathArgument.isMailbox(m.recipient())).as("recipient %s", m.recipient()).isTrue();
                assertThat(m.sender().isEmpty() || PathArgument.isMailbox(m.sender())).as("sender %s", m.sender())
                        .isTrue();
                if (mode != InvalidLineEndings.ALLOW) {
                    assertThat(onlyCrlf(m.data())).as("no bare CR or LF is spooled in %s mode", mode).isTrue();
                }
            }
        }
    }

    private static boolean onlyCrlf(byte[] d) {
        for (int i = 0; i < d.length; i++) {
            if (d[i] == '\r' && (i + 1 == d.length || d[i + 1] != '\n')) {
                return false;
            }
            if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r')) {
                return false;
            }
        }
        return true;
    }

    /** An unregistered EmbeddedChannel with TCP addresses (registered once the allocator is set). */
    private static final class AddressedChannel extends EmbeddedChannel {
        private final InetSocketAddress peer;

        AddressedChannel(InetSocketAddress peer) {
            super(false, false);
            this.peer = peer;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return peer;
        }

        @Override
        protected SocketAddress localAddress0() {
            return LOCAL;
        }
    }
}
