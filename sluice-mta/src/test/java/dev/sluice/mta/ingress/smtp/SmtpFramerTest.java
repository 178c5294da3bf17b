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

    /** Open files in {@code dir} (received data files have no name: their link ends in " (deleted)"). */
    private static long openFilesIn(java.nio.file.Path dir) throws java.io.IOException {
        long n = 0;
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            for (var fd : fds.toList()) {
                try {
                    if (java.nio.file.Files.readSymbolicLink(fd).toString().startsWith(dir.toString() + "/")) {
                        n++;
                    }
                } catch (java.io.IOException e) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    private static byte[] lines(int bytes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < bytes; i++) {
            b.append(i % 7 == 0 ? ".dot-stuffed line " : "line ").append(i).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A framer in DATA mode with {@code maxSize}, spilling into {@code dir}, whose frames go to {@code out}. */
    private static EmbeddedChannel inData(java.nio.file.Path dir, long maxSize, List<SmtpInput> out) {
        SmtpFramer framer = new SmtpFramer(1000);
        EmbeddedChannel ch = new EmbeddedChannel(framer, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                out.add((SmtpInput) msg);
            }
        });
        framer.startData(maxSize, InvalidLineEndings.ALLOW, dir);
        return ch;
    }

    @Test
    void dataPastTheSpillSizeArrivesInAFileWithTheSameBytes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        List<SmtpInput> out = new ArrayList<>();
        EmbeddedChannel ch = inData(dir, 10 << 20, out);
        byte[] sent = lines(3 << 20);
        for (int i = 0; i < sent.length; i += 1500) {
            ch.writeInbound(Unpooled.wrappedBuffer(sent, i, Math.min(1500, sent.length - i)));
        }
        assertThat(openFilesIn(dir)).as("the data is in one file while it arrives").isEqualTo(1);
        ch.writeInbound(Unpooled.copiedBuffer(".\r\n", StandardCharsets.US_ASCII));
        SmtpInput.DataEnd end = (SmtpInput.DataEnd) out.getFirst();
        assertThat(end.data()).isEmpty();
        assertThat(end.spilled()).isNotNull();
        String expected = new String(sent, StandardCharsets.US_ASCII).replace("\n.dot", "\ndot")
                .replaceFirst("^\\.dot", "dot");
        assertThat(end.spilled().size()).isEqualTo(expected.length());
        assertThat(new String(end.spilled().read(), StandardCharsets.US_ASCII)).isEqualTo(expected);
        assertThat(new String(end.spilled().withPrefix("Received: x\r\n".getBytes(StandardCharsets.US_ASCII))
                .read(), StandardCharsets.US_ASCII)).isEqualTo("Received: x\r\n" + expected);
        end.spilled().file().close();
        assertThat(openFilesIn(dir)).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientLeavingMidDataOrSendingTooMuchLeavesNoFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        List<SmtpInput> out = new ArrayList<>();
        EmbeddedChannel ch = inData(dir, 10 << 20, out);
        ch.writeInbound(Unpooled.wrappedBuffer(lines(1 << 20)));
        assertThat(openFilesIn(dir)).isEqualTo(1);
        ch.close();
        assertThat(openFilesIn(dir)).as("gone with the connection").isZero();

        EmbeddedChannel ch2 = inData(dir, 1 << 20, out);
        ch2.writeInbound(Unpooled.wrappedBuffer(lines(900 << 10)));
        assertThat(openFilesIn(dir)).isEqualTo(1);
        ch2.writeInbound(Unpooled.wrappedBuffer(lines(200 << 10)));
        assertThat(openFilesIn(dir)).as("dropped once over max_message_size, before the end of the data").isZero();
        ch2.writeInbound(Unpooled.copiedBuffer(".\r\n", StandardCharsets.US_ASCII));
        assertThat(((SmtpInput.DataEnd) out.getFirst()).tooBig()).isTrue();
        ch2.finishAndReleaseAll();
    }
}
