package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageHeaderTest {
    @Test
    void unfoldsAndStopsAtTheBody() {
        var headers = MessageHeader.parse(("Subject: a\r\n b\r\nFrom:x@y\nnot a header\r\nTo: z\r\n\r\nX: body\r\n")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(headers).containsExactly(new MessageHeader("Subject", "a b"), new MessageHeader("From", "x@y"),
                new MessageHeader("To", "z"));
    }
}
