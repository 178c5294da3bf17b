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

    /**
     * A large message's data stays in the file it was received into while the policy reads and edits its headers:
     * only the header section is read (also one longer than the first 64 KiB read), and the edited message is the
     * new header section followed by the body from the file.
     */
    @Test
    void headerMethodsOnALargeReceivedMessageLeaveItsBodyInItsFile() throws Exception {
        StringBuilder headers = new StringBuilder("Subject: large\r\n");
        for (int i = 0; i < 120; i++) {
            headers.append("X-Filler-").append(i).append(": ").append("f".repeat(1000)).append("\r\n");
        }
        headers.append("X-Tag: one\r\n\r\n");
        String body = "body line\r\n".repeat(200_000);
        var file = dev.sluice.mta.message.SpillFile.create(dir);
        byte[] sent = (headers + body).getBytes(StandardCharsets.US_ASCII);
        file.append(sent, 0, sent.length);
        var data = file.finish().withPrefix("Received: by test\r\n".getBytes(StandardCharsets.US_ASCII));
        Message m = new Message(MessageId.next(Instant.now()), "from@example.com", "to@example.net", Map.of(), data);
        try (Policy p = policy("""
                kumo.on('smtp_server_message_received', function(msg)
                  msg:set_meta('tag', msg:get_first_named_header_value('X-Tag'))
                  msg:prepend_header('X-First', 'yes')
                  msg:append_header('X-Last', 'yes')
                  msg:remove_all_named_headers('X-Filler-7')
                end)
                """)) {
            p.call("smtp_server_message_received", new LuaMessage(m), Map.of());
        }
        assertThat(m.meta("tag")).as("a header after the first 64 KiB").isEqualTo("one");
        assertThat(m.spilled()).as("the data is still in its file").isNotNull();
        assertThat(m.dataInMemory()).isFalse();
        String expected = "X-First: yes\r\nReceived: by test\r\n"
                + headers.toString().replaceFirst("X-Filler-7: f+\r\n", "").replace("X-Tag: one\r\n\r\n",
                "X-Tag: one\r\nX-Last: yes\r\n\r\n") + body;
        assertThat(m.size()).isEqualTo(expected.length());
        assertThat(m.dataAsString()).isEqualTo(expected);
        file.close();
    }

    @Test
    void setDataReplacesTheContent() throws Exception {
        Message m = message();
        try (Policy p = policy("kumo.on('http_message_generated', function(msg) msg:set_data('Subject: new\\r\\n\\r\\nx') end)")) {
            p.call("http_message_generated", new LuaMessage(m), Map.of());
        }
        assertThat(m.dataAsString()).isEqualTo("Subject: new\r\n\r\nx");
    }

    private static Message message(byte[] data) {
        return new Message(MessageId.next(Instant.now()), "", "to@example.net", Map.of(), data);
    }

    private Object run(Message m, String handler) throws Exception {
        Path file = Files.createTempFile(dir, "msg", ".lua");
        Files.writeString(file, "kumo.on('e', function(msg) " + handler + " end)\n");
        try (Policy p = Policy.load(new PolicyOptions(file, 1, java.util.List.of(), null))) {
            return p.call("e", new LuaMessage(m));
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void encodedHeaderReadsBackDecoded() throws Exception {
        Message m = message("Subject: x\r\nX-Iso: =?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?w6k=?=\r\n\r\nbody\r\n"
                .getBytes(StandardCharsets.UTF_8));
        Object got = run(m, "msg:prepend_header('X-Enc', 'héllo wörld', true) "
                + "return msg:get_first_named_header_value('x-enc') .. '|' .. msg:get_first_named_header_value('x-iso')");
        assertThat(got).isEqualTo("héllo wörld|caféé");
        assertThat(m.dataAsString()).startsWith("X-Enc: =?UTF-8?q?h=C3=A9llo_w=C3=B6rld?=\r\nSubject: x\r\n");
    }

    @Test
    void longAsciiValueIsFoldedWhenEncoding() throws Exception {
        Message m = message("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
        String words = "word ".repeat(30).strip();
        run(m, "msg:append_header('X-Long', '" + words + "', true)");
        String data = m.dataAsString();
        assertThat(data).contains("X-Long: word").contains("\r\n\tword");
        for (String line : data.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(78);
        }
    }

    @Test
    void editsKeepBareLfLineEndingsAndEveryBodyByte() throws Exception {
        byte[] data = "X-A: 1\nSubject: s\n\nbody \u00e9\n".getBytes(StandardCharsets.ISO_8859_1); // a raw 0xE9 byte
        Message m = message(data);
        run(m, "msg:remove_x_headers() msg:append_header('X-B', '2') msg:prepend_header('X-C', '3')");
        byte[] expected = "X-C: 3\nSubject: s\nX-B: 2\n\nbody \u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(m.data()).isEqualTo(expected);
        // get_data hands the exact bytes back, set_data stores them as they are
        run(m, "msg:set_data(msg:get_data())");
        assertThat(m.data()).isEqualTo(expected);
    }

    /**
     * {@code msg:get_data()} on a spooled message (data in the spool) or a large received one (data in its file)
     * reads the data for that call and keeps nothing: the message holds no copy afterwards, and a second call reads
     * it again. A policy that calls it on every message pays per call, not per queued message.
     */
    @Test
    void getDataReadsForTheCallAndKeepsNoCopyOnTheMessage() throws Exception {
        byte[] data = ("Subject: s\r\n\r\n" + "body line\r\n".repeat(50_000)).getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        MessageId id = MessageId.next(Instant.now());
        Message spooled = Message.spooled(id, "from@example.com", "to@example.net",
                "{}".getBytes(StandardCharsets.UTF_8), data.length, 0, new dev.sluice.mta.message.DataStore() {
                    @Override
                    public byte[] readData(MessageId which) {
                        reads.incrementAndGet();
                        return data.clone();
                    }

                    @Override
                    public byte[] readMeta(MessageId which) {
                        return "{}".getBytes(StandardCharsets.UTF_8);
                    }
                });
        Object length = run(spooled, "return #msg:get_data() + #msg:get_data()");
        assertThat(length).isEqualTo(2L * data.length);
        assertThat(reads).as("one spool read per call, none kept").hasValue(2);
        assertThat(spooled.dataInMemory()).isFalse();

        var file = dev.sluice.mta.message.SpillFile.create(dir);
        file.append(data, 0, data.length);
        Message received = new Message(MessageId.next(Instant.now()), "from@example.com", "to@example.net", Map.of(),
                file.finish());
        assertThat(run(received, "return #msg:get_data()")).isEqualTo((long) data.length);
        assertThat(received.dataInMemory()).as("the data stays in its file").isFalse();
        assertThat(received.spilled()).isNotNull();
        file.close();
    }

    @Test
    void headerOnlyMessageGetsItsSeparatorWhenEdited() throws Exception {
        Message m = message("Subject: s".getBytes(StandardCharsets.UTF_8));
        run(m, "msg:append_header('X-B', '2')");
        assertThat(m.dataAsString()).isEqualTo("Subject: s\r\nX-B: 2\r\n\r\n");
    }

    @Test
    void addressHeadersFlattenGroupsAndSingleAccessorsNeedOneMailbox() throws Exception {
        Message m = message(("From: \"Doe, Jane\" (the boss) <jane@example.com>\r\n"
                + "To: Team: a@x.test, B <b@y.test>;, c@z.test\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8));
        Object got = run(m, """
                local f, t = msg:from_header(), msg:to_header()
                local emails = {}
                for _, a in ipairs(t.list) do emails[#emails + 1] = a.email .. ':' .. tostring(a.name) end
                local ok, err = pcall(function() return t.domain end)
                return f.name .. '|' .. f.domain .. '|' .. table.concat(emails, ',') .. '|' .. tostring(ok)
                  .. '|' .. (tostring(err):gsub('^.-: ', ''))
                  .. '|' .. tostring(msg:sender()) .. '|' .. msg:sender().domain .. '|' .. #msg:recipient_list()
                  .. '|' .. #msg:get_address_header('to').list .. '|' .. tostring(msg:get_address_header('cc'))
                """);
        assertThat(got).isEqualTo("Doe, Jane|example.com|a@x.test:nil,b@y.test:B,c@z.test:nil|false"
                + "|the address header holds 3 addresses, not one: use .list|||1|3|nil");
    }

    @Test
    void missingAddressHeaderIsNil() throws Exception {
        Message m = message("Subject: s\r\n\r\nx".getBytes(StandardCharsets.UTF_8));
        assertThat(run(m, "return tostring(msg:from_header()) .. tostring(msg:to_header())")).isEqualTo("nilnil");
    }
}
