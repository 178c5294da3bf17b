package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStufferTest {
    private static String encode(String message) {
        ByteBuf b = DotStuffer.encode(message.getBytes(StandardCharsets.ISO_8859_1), UnpooledByteBufAllocator.DEFAULT);
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    @Test
    void bareLfBecomesCrlfAndTheDataEndsWithADotLine() {
        assertThat(encode("a\nb\n")).isEqualTo("a\r\nb\r\n.\r\n");
    }

    @Test
    void existingCrlfIsKept() {
        assertThat(encode("a\r\nb\r\n")).isEqualTo("a\r\nb\r\n.\r\n");
    }

    @Test
    void linesStartingWithADotGetAnotherDot() {
        assertThat(encode(".first\nmid.dle\n.\n..two\n")).isEqualTo("..first\r\nmid.dle\r\n..\r\n...two\r\n.\r\n");
    }

    @Test
    void anUnterminatedLastLineIsTerminated() {
        assertThat(encode("no newline")).isEqualTo("no newline\r\n.\r\n");
        assertThat(encode("ends in cr\r")).isEqualTo("ends in cr\r\n.\r\n");
    }

    @Test
    void emptyMessageIsJustTheDot() {
        assertThat(encode("")).isEqualTo(".\r\n");
    }
}
