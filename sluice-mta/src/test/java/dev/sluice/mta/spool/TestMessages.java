package dev.sluice.mta.spool;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

final class TestMessages {
    private TestMessages() {}

    static Message message(int i) {
        Map<String, Object> meta = Map.of(
                "tenant", "t" + (i % 3),
                "num", (long) i,
                "ratio", 0.5,
                "flag", true,
                "nested", Map.of("list", List.of("a", 2L, Map.of("deep", "x")), "n", (long) -i));
        byte[] data = ("Subject: message " + i + "\r\n\r\nbody " + i + "\r\n").repeat(1 + i % 5)
                .getBytes(StandardCharsets.UTF_8);
        return new Message(MessageId.next(Instant.now()), "sender" + i + "@example.com",
                "rcpt" + i + "@example.net", meta, data);
    }

    static Message withData(Message m, byte[] data) {
        return new Message(m.id(), m.sender(), m.recipient(), m.metaMap(), data);
    }
}
