package dev.sluice.egress.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames server bytes into {@link SmtpReply}s: lines "ddd-text" continue a reply, "ddd text" ends it. After a
 * malformed reply the rest is dropped, so the error is raised once (not again for the leftover bytes at close).
 */
final class SmtpReplyDecoder extends ByteToMessageDecoder {
    /** Far above RFC 5321's 512 octets, yet bounded so a broken peer cannot grow our buffer forever. */
    static final int MAX_LINE = 8192;
    static final int MAX_LINES = 1000;

    private final List<String> lines = new ArrayList<>();
    private int code = -1;
    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            decodeReplies(in, out);
        } catch (DecoderException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    private void decodeReplies(ByteBuf in, List<Object> out) {
        while (true) {
            int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                if (in.readableBytes() > MAX_LINE) throw new TooLongFrameException("SMTP reply line longer than " + MAX_LINE);
                return;
            }
            int len = eol - in.readerIndex();
            if (len > MAX_LINE) throw new TooLongFrameException("SMTP reply line longer than " + MAX_LINE);
            String line = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8);
            in.readerIndex(eol + 1);
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            SmtpReply reply = accept(line);
            if (reply != null) {
                // One reply per call: it is handled before the next bytes are framed, so a STARTTLS 220
                // can still see (and refuse) bytes the server sent after it.
                out.add(reply);
                return;
            }
        }
    }

    private SmtpReply accept(String line) {
        if (line.length() < 3 || !digit(line.charAt(0)) || !digit(line.charAt(1)) || !digit(line.charAt(2))
                || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
            throw new DecoderException("malformed SMTP reply line: " + abbreviate(line));
        }
        int c = Integer.parseInt(line.substring(0, 3));
        if (code >= 0 && c != code) throw new DecoderException("reply code changed within a multi-line reply: " + abbreviate(line));
        code = c;
        lines.add(line.length() > 4 ? line.substring(4) : "");
        if (lines.size() > MAX_LINES) throw new DecoderException("SMTP reply with more than " + MAX_LINES + " lines");
        boolean last = line.length() == 3 || line.charAt(3) == ' ';
        if (!last) return null;
        SmtpReply reply = new SmtpReply(code, lines);
        lines.clear();
        code = -1;
        return reply;
    }

    /** Bytes received but not yet framed (must be none right after the 220 reply to STARTTLS). */
    boolean hasBufferedInput() {
        return actualReadableBytes() > 0 || !lines.isEmpty();
    }

    /** An ASCII digit: Character.isDigit would take "٢٥٠" (Arabic-Indic digits) as the reply code 250. */
    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
