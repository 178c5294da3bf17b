package dev.sluice.egress.nats;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of the NATS client protocol: control lines ending in CRLF, and for {@code MSG}/{@code HMSG}
 * the announced number of payload bytes and a CRLF after them. A control line longer than
 * {@value #MAX_LINE} bytes or one that does not parse fails the connection.
 */
final class NatsDecoder extends ByteToMessageDecoder {
    static final int MAX_LINE = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        while (true) {
            int start = in.readerIndex();
            int eol = in.indexOf(start, in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                if (in.readableBytes() > MAX_LINE) throw new DecoderException("NATS control line longer than " + MAX_LINE + " bytes");
                return;
            }
            int lineEnd = eol > start && in.getByte(eol - 1) == '\r' ? eol - 1 : eol;
            String line = in.toString(start, lineEnd - start, StandardCharsets.UTF_8);
            String[] parts = line.strip().split("[ \t]+");
            String op = parts[0].toUpperCase(Locale.ROOT);
            int afterLine = eol + 1;
            NatsOp decoded;
            switch (op) {
                case "MSG", "HMSG" -> {
                    boolean headers = op.equals("HMSG");
                    int fixed = headers ? 5 : 4; // op subject sid [reply] [hdr] total
                    if (parts.length != fixed && parts.length != fixed + 1) throw new DecoderException("bad NATS line: " + line);
                    int total = Integer.parseInt(parts[parts.length - 1]);
                    int headerBytes = headers ? Integer.parseInt(parts[parts.length - 2]) : 0;
                    if (total < 0 || headerBytes < 0 || headerBytes > total) throw new DecoderException("bad NATS sizes: " + line);
                    if (in.writerIndex() - afterLine < total + 2) {
                        return; // wait for the payload and its CRLF
                    }
                    String reply = parts.length == fixed + 1 ? parts[3] : null;
                    byte[] head = new byte[headerBytes];
                    in.getBytes(afterLine, head);
                    byte[] payload = new byte[total - headerBytes];
                    in.getBytes(afterLine + headerBytes, payload);
                    decoded = message(parts[1], parts[2], reply, head, payload);
                    afterLine += total + 2;
                }
                case "INFO" -> decoded = new NatsOp.Info(JSON.readValue(line.strip().substring(4).strip(),
                        new TypeReference<Map<String, Object>>() {}));
                case "PING" -> decoded = new NatsOp.Ping();
                case "PONG" -> decoded = new NatsOp.Pong();
                case "+OK" -> decoded = new NatsOp.Ok();
                case "-ERR" -> {
                    String text = line.strip().substring(4).strip();
                    if (text.length() >= 2 && text.startsWith("'") && text.endsWith("'")) text = text.substring(1, text.length() - 1);
                    decoded = new NatsOp.Err(text);
                }
                default -> throw new DecoderException("unexpected NATS operation: " + line);
            }
            in.readerIndex(afterLine);
            out.add(decoded);
        }
    }

    /** Splits an HMSG's header block: {@code NATS/1.0[ status[ text]]} then {@code Name: value} lines. */
    private static NatsOp.Msg message(String subject, String sid, String reply, byte[] head, byte[] payload) {
        int status = 0;
        String statusText = "";
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        if (head.length > 0) {
            String[] lines = new String(head, StandardCharsets.UTF_8).split("\r\n");
            String[] first = lines[0].split(" ", 3);
            if (!first[0].startsWith("NATS/")) throw new DecoderException("bad NATS header block: " + lines[0]);
            if (first.length > 1) status = Integer.parseInt(first[1]);
            if (first.length > 2) statusText = first[2];
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) headers.add(new AbstractMap.SimpleImmutableEntry<>(lines[i].substring(0, colon).strip(),
                        lines[i].substring(colon + 1).strip()));
            }
        }
        return new NatsOp.Msg(subject, sid, reply, status, statusText, List.copyOf(headers), payload);
    }
}
