package dev.sluice.egress.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Turns a message into DATA bytes: bare LF becomes CRLF, a line starting with "." gets a second ".", the
 * last line is terminated, and ".\r\n" ends the data. (A bare CR not followed by LF is passed through.)
 */
final class DotStuffer {
    private DotStuffer() {}

    static ByteBuf encode(byte[] message, ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(message.length + message.length / 64 + 8);
        int runStart = 0; // bytes [runStart, i) go out unchanged, copied in one call
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            byte b = message[i];
            if (b == '\n') {
                if (i == 0 || message[i - 1] != '\r') {
                    out.writeBytes(message, runStart, i - runStart).writeByte('\r');
                    runStart = i;
                }
                lineStart = true;
            } else {
                if (lineStart && b == '.') {
                    out.writeBytes(message, runStart, i - runStart).writeByte('.');
                    runStart = i;
                }
                lineStart = false;
            }
        }
        out.writeBytes(message, runStart, message.length - runStart);
        if (!lineStart) {
            if (message[message.length - 1] != '\r') out.writeByte('\r');
            out.writeByte('\n');
        }
        return out.writeByte('.').writeByte('\r').writeByte('\n');
    }
}
