package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The command framer and DATA reader ({@link SmtpFramer}) against a straight-line model of RFC 5321 framing:
 * commands end at LF (a CR before it dropped); DATA ends only at CRLF.CRLF, so no bare-LF variant ends a message
 * (SMTP smuggling); leading dots are removed; over-long lines and data beyond max_message_size are flagged, not
 * kept. For any bytes, line limit, size limit, line-ending mode and chunking, the framer gives exactly the
 * model's frames; a clean, canonically stuffed message re-stuffed plus ".CRLF" is the raw bytes it came from; kept data is within
 * max_message_size; in Fix mode every line ending is CRLF. Every buffer is released.
 */
class SmtpFramerFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void frames(FuzzedDataProvider data) {
        int lineLimit = data.consumeInt(1, 80);
        long maxSize = data.consumeLong(1, 400);
        InvalidLineEndings mode = data.pickValue(InvalidLineEndings.values());
        byte[] sizes = data.consumeBytes(data.consumeInt(0, 8));
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        List<String> actual = new ArrayList<>();
        List<SmtpInput.DataEnd> ends = new ArrayList<>();
        SmtpFramer framer = new SmtpFramer(lineLimit);
        FuzzFeed feed = new FuzzFeed();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(feed.allocator);
        ch.pipeline().addLast(framer, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                SmtpInput in = (SmtpInput) msg;
                actual.add(show(in));
                if (in instanceof SmtpInput.CommandLine l && isData(l.line())) {
                    framer.startData(maxSize, mode);
                }
                if (in instanceof SmtpInput.DataEnd end) {
                    ends.add(end);
                }
            }
        });
        feed.feed(ch, input, sizes);
        ch.checkException();
        ch.finishAndReleaseAll();
        feed.assertReleased();

        Model model = new Model(input, lineLimit, maxSize, mode);
        assertThat(actual).isEqualTo(model.frames);
        for (int i = 0; i < ends.size(); i++) {
            SmtpInput.DataEnd end = ends.get(i);
            if (end.tooBig()) {
                assertThat(end.data()).isEmpty();
            } else {
                assertThat((long) end.data().length).isLessThanOrEqualTo(maxSize);
            }
            if (mode == InvalidLineEndings.FIX && !end.tooBig()) {
                assertThat(onlyCrlf(end.data())).as("Fix leaves only CRLF line endings").isTrue();
            }
            if (!end.tooBig() && !end.lineTooLong() && !end.bareLineEndings()) {
                byte[] raw = Arrays.copyOfRange(input, model.dataStarts.get(i), model.dataEnds.get(i));
                if (canonicallyStuffed(raw)) {
                    assertThat(stuff(end.data())).as("stuff(body) + .CRLF is what was sent").isEqualTo(raw);
                }
            }
        }
    }

    static boolean isData(byte[] line) {
        return new String(line, StandardCharsets.ISO_8859_1).equalsIgnoreCase("DATA");
    }

    static String show(SmtpInput in) {
        return switch (in) {
            case SmtpInput.CommandLine l -> "CMD " + HexFormat.of().formatHex(l.line());
            case SmtpInput.LineTooLong t -> "TOO LONG";
            case SmtpInput.DataEnd d -> "DATA " + HexFormat.of().formatHex(d.data()) + (d.tooBig() ? " big" : "")
                    + (d.lineTooLong() ? " long" : "") + (d.bareLineEndings() ? " bare" : "");
        };
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

    /** Every line but the terminator that starts with a dot starts with two (".x" is legal, and unstuffed to "x"). */
    private static boolean canonicallyStuffed(byte[] raw) {
        String text = new String(raw, 0, raw.length - 3, StandardCharsets.ISO_8859_1);
        for (String line : text.split("\r\n", -1)) {
            if (line.startsWith(".") && !line.startsWith("..")) {
                return false;
            }
        }
        return true;
    }

    /** Dot-stuffs CRLF lines and appends the terminator. */
    private static byte[] stuff(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean lineStart = true;
        for (byte b : body) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** RFC 5321 framing, written for clarity over the whole input at once. */
    private static final class Model {
        final List<String> frames = new ArrayList<>();
        final List<Integer> dataStarts = new ArrayList<>();
        final List<Integer> dataEnds = new ArrayList<>();

        Model(byte[] in, int lineLimit, long maxSize, InvalidLineEndings mode) {
            int pos = 0;
            while (true) {
                int lf = indexOf(in, pos, (byte) '\n');
                if (lf < 0) {
                    return;
                }
                int end = lf > pos && in[lf - 1] == '\r' ? lf - 1 : lf;
                byte[] line = Arrays.copyOfRange(in, pos, end);
                pos = lf + 1;
                if (line.length > lineLimit) {
                    frames.add("TOO LONG");
                    continue;
                }
                frames.add("CMD " + HexFormat.of().formatHex(line));
                if (!isData(line)) {
                    continue;
                }
                dataStarts.add(pos);
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean previousCrlf = true;
                boolean big = false;
                boolean longLine = false;
                boolean bare = false;
                while (true) {
                    lf = indexOf(in, pos, (byte) '\n');
                    if (lf < 0) {
                        return;
                    }
                    boolean crlf = lf > pos && in[lf - 1] == '\r';
                    byte[] content = Arrays.copyOfRange(in, pos, crlf ? lf - 1 : lf);
                    pos = lf + 1;
                    if (previousCrlf && crlf && content.length == 1 && content[0] == '.') {
                        break;
                    }
                    previousCrlf = crlf;
                    bare |= !crlf;
                    if (content.length > lineLimit) {
                        longLine = true;
                        continue;
                    }
                    if (content.length > 0 && content[0] == '.') {
                        content = Arrays.copyOfRange(content, 1, content.length);
                    }
                    boolean cr = indexOf(content, 0, (byte) '\r') >= 0;
                    bare |= cr;
                    if (big) {
                        continue;
                    }
                    boolean fix = mode == InvalidLineEndings.FIX;
                    int added = 0;
                    for (byte b : content) {
                        added += fix && b == '\r' ? 1 : 0;
                    }
                    if (body.size() + (long) content.length + added + (crlf || fix ? 2 : 1) > maxSize) {
                        big = true;
                        continue;
                    }
                    for (byte b : content) {
                        body.write(b);
                        if (fix && b == '\r') {
                            body.write('\n');
                        }
                    }
                    if (crlf || fix) {
                        body.write('\r');
                    }
                    body.write('\n');
                }
                dataEnds.add(pos);
                byte[] kept = big ? new byte[0] : body.toByteArray();
                frames.add("DATA " + HexFormat.of().formatHex(kept) + (big ? " big" : "") + (longLine ? " long" : "")
                        + (bare ? " bare" : ""));
            }
        }

        private static int indexOf(byte[] b, int from, byte v) {
            for (int i = from; i < b.length; i++) {
                if (b[i] == v) {
                    return i;
                }
            }
            return -1;
        }
    }
}
