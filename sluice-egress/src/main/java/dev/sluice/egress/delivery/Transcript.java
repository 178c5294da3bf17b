package dev.sluice.egress.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Records an SMTP conversation for an operator to read ({@code sluice deliver}): each line the server sent
 * ({@code S: }) and each command we sent ({@code C: }). Sits after any TLS handler, so STARTTLS sessions read
 * in clear. The message itself is summarised as one line, not copied.
 */
public final class Transcript extends ChannelDuplexHandler {
    static final String NAME = "transcript";
    private static final int MAX_LINE = 200;

    private final List<String> lines = new ArrayList<>();
    private boolean inData; // between the server's 354 and our final dot: writes are the message
    private long dataBytes;

    /** The lines recorded so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    private synchronized void add(String line) {
        lines.add(line);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            for (String line : buf.toString(StandardCharsets.UTF_8).split("\r\n")) {
                if (!line.isEmpty()) {
                    add("S: " + clip(line));
                    if (line.startsWith("354")) {
                        inData = true;
                        dataBytes = 0;
                    }
                }
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            String text = buf.toString(StandardCharsets.UTF_8);
            if (inData) {
                dataBytes += buf.readableBytes();
                if (text.endsWith("\r\n.\r\n") || (dataBytes == buf.readableBytes() && text.equals(".\r\n"))) {
                    add("C: <message, " + (dataBytes - 3) + " bytes>");
                    add("C: .");
                    inData = false;
                }
            } else {
                for (String line : text.split("\r\n")) {
                    if (!line.isEmpty()) {
                        add("C: " + clip(line));
                    }
                }
            }
        }
        ctx.write(msg, promise);
    }

    private static String clip(String line) {
        return line.length() <= MAX_LINE ? line : line.substring(0, MAX_LINE) + "…";
    }
}
