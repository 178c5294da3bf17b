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
        ByteBuf out = alloc.buffer(message.length + message.length / 50 + 8);
        boolean lineStart = true;
        byte prev = 0;
        for (byte b : message) {
            if (b == '\n') {
                if (prev != '\r') out.writeByte('\r');
                out.writeByte('\n');
                lineStart = true;
            } else {
                if (lineStart && b == '.') out.writeByte('.');
                out.writeByte(b);
                lineStart = false;
            }
            prev = b;
        }
        if (!lineStart) {
            if (prev != '\r') out.writeByte('\r');
            out.writeByte('\n');
        }
        out.writeByte('.').writeByte('\r').writeByte('\n');
        return out;
    }
}
