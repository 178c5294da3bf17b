package dev.sluice.mta.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuaMessageTest {
    @TempDir
    Path dir;

    private Policy policy(String body) throws Exception {
        Path file = dir.resolve("p.lua");
        Files.writeString(file, "local kumo = require 'kumo'\n" + body);
        return Policy.load(new PolicyOptions(file, 1, java.util.List.of(), null));
    }

    private static Message message() {
        return new Message(MessageId.next(Instant.now()), "from@example.com", "to@example.net", Map.of("a", "b"),
                "Subject: hello\r\n  world\r\nX-Tag: one\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void policyReadsAndChangesTheMessage() throws Exception {
        Message m = message();
        try (Policy p = policy("""
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  local missing = msg:get_first_named_header_value('missing')
                  msg:set_meta('tenant', 'acme')
                  msg:set_meta('count', 3)
                  msg:set_meta('seen', msg:get_meta('a') .. '|' .. msg:sender() .. '|' .. msg:recipient()
                      .. '|' .. msg:get_first_named_header_value('subject')
                      .. '|' .. tostring(missing)
                      .. '|' .. conn_meta.received_from .. '|' .. #msg:id())
                  msg:append_header('X-Added', 'yes')
                end)
                """)) {
            p.call("smtp_server_message_received", new LuaMessage(m), Map.of("received_from", "127.0.0.1:1"));
        }
        assertThat(m.meta("tenant")).isEqualTo("acme");
        assertThat(m.meta("count")).isEqualTo(3L);
        assertThat(m.meta("seen")).isEqualTo("b|from@example.com|to@example.net|hello world|nil|127.0.0.1:1|32");
        assertThat(m.dataAsString()).isEqualTo("Subject: hello\r\n  world\r\nX-Tag: one\r\nX-Added: yes\r\n\r\nbody\r\n");
    }

    @Test
    void setDataReplacesTheContent() throws Exception {
        Message m = message();
        try (Policy p = policy("kumo.on('http_message_generated', function(msg) msg:set_data('Subject: new\\r\\n\\r\\nx') end)")) {
            p.call("http_message_generated", new LuaMessage(m), Map.of());
        }
        assertThat(m.dataAsString()).isEqualTo("Subject: new\r\n\r\nx");
    }
}
