package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The SMTP client's reply framing ({@link SmtpReplyDecoder}) against a model of RFC 5321 section 4.2: lines of
 * three ASCII digits, then "-" (more lines follow) or " " / end of line (last line), all with the same code.
 * Whatever the chunking, the decoder yields the model's replies, in order, then stops with a
 * {@link DecoderException} exactly where the model finds the first malformed line (nothing else is thrown), never
 * keeps more than its line and line-count bounds, and re-encoding its replies decodes to the same replies.
 * Every buffer is released.
 */
class SmtpReplyDecoderFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void replies(FuzzedDataProvider data) {
        byte[] sizes = data.consumeBytes(data.consumeInt(0, 8));
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > 3 * SmtpReplyDecoder.MAX_LINE) {
            return;
        }
        Outcome chunked = decode(input, sizes);
        Outcome model = model(input);
        assertThat(chunked.replies).as("replies").isEqualTo(model.replies);
        assertThat(chunked.failed).as("malformed input is a DecoderException").isEqualTo(model.failed);
        for (SmtpReply r : chunked.replies) {
            assertThat(r.lines()).isNotEmpty().hasSizeLessThanOrEqualTo(SmtpReplyDecoder.MAX_LINES);
        }
        // encode(decode(x)) decodes to decode(x)
        StringBuilder canonical = new StringBuilder();
        for (SmtpReply r : chunked.replies) {
            for (int i = 0; i < r.lines().size(); i++) {
                canonical.append(String.format("%03d", r.code())).append(i < r.lines().size() - 1 ? '-' : ' ')
                        .append(r.lines().get(i)).append("\r\n");
            }
        }
        Outcome again = decode(canonical.toString().getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(again.failed).isFalse();
        assertThat(again.replies).isEqualTo(chunked.replies);
    }

    private record Outcome(List<SmtpReply> replies, boolean failed) {}

    private static Outcome decode(byte[] input, byte[] sizes) {
        FuzzFeed feed = new FuzzFeed();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(feed.allocator);
        ch.pipeline().addLast(new SmtpReplyDecoder());
        boolean failed = false;
        try {
            feed.feed(ch, input, sizes);
            ch.checkException();
        } catch (DecoderException e) {
            failed = true; // the client closes the connection here
        }
        List<SmtpReply> replies = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            replies.add((SmtpReply) o);
        }
        ch.finishAndReleaseAll();
        feed.assertReleased();
        return new Outcome(replies, failed);
    }

    /** RFC 5321 reply lines, ASCII digits only; null-free model of the decoder's bounds. */
    private static Outcome model(byte[] input) {
        List<SmtpReply> replies = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int code = -1;
        int start = 0;
        while (true) {
            int lf = start;
            while (lf < input.length && input[lf] != '\n') {
                lf++;
            }
            if (lf - start > SmtpReplyDecoder.MAX_LINE) {
                return new Outcome(replies, true);
            }
            if (lf == input.length) {
                return new Outcome(replies, false);
            }
            String line = new String(input, start, lf - start, StandardCharsets.UTF_8);
            start = lf + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            boolean digits = line.length() >= 3 && ascii(line.charAt(0)) && ascii(line.charAt(1)) && ascii(line.charAt(2));
            if (!digits || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                return new Outcome(replies, true);
            }
            int c = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && c != code) {
                return new Outcome(replies, true);
            }
            code = c;
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (lines.size() > SmtpReplyDecoder.MAX_LINES) {
                return new Outcome(replies, true);
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                replies.add(new SmtpReply(code, lines));
                lines.clear();
                code = -1;
            }
        }
    }

    private static boolean ascii(char c) {
        return c >= '0' && c <= '9';
    }
}
