package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The framer gives the same frames whatever the packet boundaries are. */
class SmtpFramerTest {

    /** Feeds {@code input} in pieces of {@code chunk} bytes; DATA starts after the first command. */
    private static List<String> frames(String input, int chunk) {
        SmtpFramer framer = new SmtpFramer(20);
        List<String> out = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(framer, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                switch ((SmtpInput) msg) {
                    case SmtpInput.CommandLine l -> {
                        String s = new String(l.line(), StandardCharsets.UTF_8);
                        out.add("CMD " + s);
                        if (s.equals("DATA")) {
                            framer.startData(1000, InvalidLineEndings.ALLOW);
                        }
                    }
                    case SmtpInput.LineTooLong t -> out.add("TOO LONG");
                    case SmtpInput.DataEnd d -> out.add("DATA[" + new String(d.data(), StandardCharsets.UTF_8)
                            .replace("\r", "\\r").replace("\n", "\\n") + "]" + (d.lineTooLong() ? " long" : "")
                            + (d.bareLineEndings() ? " bare" : ""));
                }
            }
        });
        byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(chunk, bytes.length - i)));
        }
        ch.finishAndReleaseAll();
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 7, 1000})
    void same_frames_for_any_chunking(int chunk) {
        String input = "NOOP\r\n" + "x".repeat(30) + "\r\nDATA\r\nab\r\n..c\r\nd\n.\r\n" + "y".repeat(25)
                + "\r\n.\r\nQUIT\n";
        assertThat(frames(input, chunk)).containsExactly("CMD NOOP", "TOO LONG", "CMD DATA",
                "DATA[ab\\r\\n.c\\r\\nd\\n\\r\\n] long bare", "CMD QUIT");
    }

    /** Found by SmtpFramerFuzzTest: in Fix mode the LFs added after bare CRs were not counted against the limit. */
    @Test
    void fixedLineEndingsCountAgainstMaxMessageSize() {
        SmtpFramer framer = new SmtpFramer(100);
        List<SmtpInput> out = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(framer, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                out.add((SmtpInput) msg);
            }
        });
        framer.startData(10, InvalidLineEndings.FIX);
        ch.writeInbound(Unpooled.copiedBuffer("a\rb\rc\rd\r\n.\r\n", StandardCharsets.US_ASCII)); // 12 bytes fixed
        ch.finishAndReleaseAll();

        SmtpInput.DataEnd end = (SmtpInput.DataEnd) out.getFirst();
        assertThat(end.tooBig()).as("a\\r\\nb\\r\\nc\\r\\nd\\r\\n is 12 bytes, the limit 10").isTrue();
    }
}
