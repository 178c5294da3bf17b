package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SmtpReplyParsingTest {
    private static EmbeddedChannel decoder() {
        return new EmbeddedChannel(new SmtpReplyDecoder());
    }

    private static void feed(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    @Test
    void multiLineReplyArrivingInPiecesIsOneReply() {
        EmbeddedChannel ch = decoder();
        feed(ch, "250-mx.example\r\n250-PIPE");
        assertThat((Object) ch.readInbound()).isNull();
        feed(ch, "LINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
        SmtpReply reply = ch.readInbound();

        assertThat(reply).isEqualTo(new SmtpReply(250, java.util.List.of("mx.example", "PIPELINING", "SIZE 1000", "8BITMIME")));
        EhloCapabilities caps = EhloCapabilities.parse(SmtpResponse.of(reply, "EHLO c"));
        assertThat(caps.pipelining()).isTrue();
        assertThat(caps.eightBitMime()).isTrue();
        assertThat(caps.startTls()).isFalse();
        assertThat(caps.sizeLimit()).hasValue(1000);
    }

    @Test
    void enhancedCodeIsSplitOffEachLine() {
        EmbeddedChannel ch = decoder();
        feed(ch, "550-5.1.1 no such user\n550 5.1.1 see https://example.org\n");
        SmtpResponse r = SmtpResponse.of(ch.readInbound(), "RCPT TO:<x@y>");

        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo(new EnhancedStatusCode(5, 1, 1));
        assertThat(r.content()).isEqualTo("no such user\nsee https://example.org");
        assertThat(r.command()).isEqualTo("RCPT TO:<x@y>");
    }

    @Test
    void enhancedCodeOfTheWrongClassIsText() {
        EmbeddedChannel ch = decoder();
        feed(ch, "451 5.1.1 odd\r\n250 ok\r\n");
        SmtpResponse odd = SmtpResponse.of(ch.readInbound(), "X");
        SmtpResponse ok = SmtpResponse.of(ch.readInbound(), "X");

        assertThat(odd.enhanced()).isNull();
        assertThat(odd.content()).isEqualTo("5.1.1 odd");
        assertThat(ok.enhanced()).isNull();
        assertThat(ok.content()).isEqualTo("ok");
    }

    @Test
    void garbageIsRejected() {
        EmbeddedChannel ch = decoder();
        assertThatThrownBy(() -> feed(ch, "hello there\r\n")).isInstanceOf(DecoderException.class)
                .hasMessageContaining("malformed SMTP reply line");
    }

    @Test
    void sizeWithoutALimitIsAdvertisedButUnlimited() {
        EhloCapabilities caps = EhloCapabilities.parse(new SmtpResponse(250, null, "mx\nSIZE\nSTARTTLS\nsmtputf8", "EHLO c"));
        assertThat(caps.sizeAdvertised()).isTrue();
        assertThat(caps.sizeLimit()).isEmpty();
        assertThat(caps.startTls()).isTrue();
        assertThat(caps.smtpUtf8()).isTrue();
    }

    @Test
    void batchesKeepOrder() {
        assertThat(RecipientBatches.split(java.util.List.of("a", "b", "c", "d", "e"), 2))
                .containsExactly(java.util.List.of("a", "b"), java.util.List.of("c", "d"), java.util.List.of("e"));
    }

    /** Found by SmtpReplyDecoderFuzzTest: the leftover bytes after a malformed line were parsed again at close. */
    @Test
    void malformedReplyIsReportedOnceAndTheRestDropped() {
        EmbeddedChannel ch = decoder();
        assertThatThrownBy(() -> feed(ch, "2506mx\r\n250-PIPELINING\r\n550 5.1.1 no\n"))
                .isInstanceOf(DecoderException.class).hasMessageContaining("malformed SMTP reply line");
        feed(ch, "250 OK\r\n");
        assertThat((Object) ch.readInbound()).as("nothing decoded after the error").isNull();
        assertThat(ch.finish()).isFalse(); // closing does not raise a second error
    }

    /** The model check of SmtpReplyDecoderFuzzTest: Arabic-Indic digits were read as the reply code 250. */
    @Test
    void replyCodeIsThreeAsciiDigits() {
        EmbeddedChannel ch = decoder();
        assertThatThrownBy(() -> feed(ch, "\u0662\u0665\u0660 ok\r\n"))
                .isInstanceOf(DecoderException.class).hasMessageContaining("malformed SMTP reply line");
        assertThat((Object) ch.readInbound()).isNull();
    }
}
