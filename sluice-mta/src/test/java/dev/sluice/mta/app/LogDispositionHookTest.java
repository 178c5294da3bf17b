package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code kumo.configure_log_disposition_hook{name}}: each log record about a message fires
 * {@code log_disposition_<name>(msg, record)} with the message and the record's fields, and queues nothing. The
 * policy's handler writes what it got to a file, which the test reads.
 */
class LogDispositionHookTest extends MtaAppTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A handler that appends {record, id, subject, data} of each call as one JSON line to captured.jsonl. */
    private String capture(String name) {
        return """
                kumo.on('log_disposition_%1$s', function(msg, record)
                  local f = assert(io.open('%2$s/captured.jsonl', 'a'))
                  f:write(kumo.json_encode {
                    record = record,
                    id = msg:id(),
                    subject = msg:get_first_named_header_value('Subject'),
                    data = msg:get_data(),
                  }, '\\n')
                  f:close()
                end)
                """.formatted(name, dir.toAbsolutePath());
    }

    private List<JsonNode> captured() {
        Path file = dir.resolve("captured.jsonl");
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file).stream().map(line -> {
                try {
                    return JSON.readTree(line);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theHookSeesTheReceptionAndDeliveryRecordsOfADeliveredMessageWithTheMessage() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('pre_init', function()
                  kumo.configure_log_disposition_hook { name = 'capture' }
                end)
                """ + capture("capture")));

        MtaFixture.sendAccepted(app, "one@example.test", "disposed");
        sink.awaitMessages(1, WAIT);

        await().atMost(WAIT).until(() -> captured().size() == 2);
        List<JsonNode> calls = captured();
        assertThat(calls).extracting(c -> c.get("record").get("type").asText()).containsExactly("Reception", "Delivery");
        List<LogRecord> logged = records(dir);
        for (JsonNode call : calls) {
            JsonNode r = call.get("record");
            // the message object is the record's message, readable (also after delivery removed it from the spool)
            assertThat(call.get("id").asText()).isEqualTo(r.get("id").asText());
            assertThat(call.get("subject").asText()).isEqualTo("disposed");
            assertThat(call.get("data").asText()).contains("Subject: disposed");
            // KumoMTA's record fields, with the values the local log file has
            LogRecord local = logged.stream().filter(l -> l.type().name().equals(r.get("type").asText())).findFirst()
                    .orElseThrow();
            assertThat(r.get("id").asText()).isEqualTo(local.id());
            assertThat(r.get("sender").asText()).isEqualTo("sender@example.test");
            assertThat(r.get("recipient").asText()).isEqualTo("one@example.test"); // one recipient: a string, as KumoMTA writes it
            assertThat(r.get("queue").asText()).isEqualTo("example.test");
            assertThat(r.get("response").get("code").asInt()).isEqualTo(250);
            assertThat(r.get("peer_address").get("addr").asText()).isEqualTo("127.0.0.1");
            assertThat(r.get("reception_protocol").asText()).isEqualTo("ESMTP");
            assertThat(r.get("nodeid").asText()).isEqualTo(local.nodeid().toString());
            assertThat(r.get("timestamp").asLong()).isEqualTo(local.timestamp().getEpochSecond());
            assertThat(r.get("created").asLong()).isEqualTo(local.created().getEpochSecond());
            assertThat(r.get("size").asLong()).isEqualTo(local.size());
            assertThat(r.get("bounce_classification").asText()).isEqualTo(LogRecord.UNCATEGORIZED);
            assertThat(r.has("num_attempts")).isTrue();
        }
        JsonNode delivery = calls.get(1).get("record");
        assertThat(delivery.get("delivery_protocol").asText()).isEqualTo("ESMTP");
        assertThat(delivery.get("site").asText()).isNotEmpty();
        assertThat(delivery.get("egress_pool").asText()).isEqualTo("unspecified");
        assertThat(delivery.get("egress_source").asText()).isEqualTo("unspecified");
        assertThat(delivery.get("response").get("content").asText()).isNotEmpty();
        // nothing was queued for the hook: the spool empties, no queue but the recipient's was ever used
        await().atMost(WAIT).until(() -> app.spool().count() == 0);
        assertThat(records(dir)).extracting(LogRecord::queue).containsOnly("example.test");
    }

    @Test
    void perRecordDisablesATypeAndAFailingHandlerStopsNoDelivery() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('pre_init', function()
                  kumo.configure_log_disposition_hook { name = 'capture', per_record = { Reception = { enable = false } } }
                  kumo.configure_log_disposition_hook { name = 'broken' }
                end)
                kumo.on('log_disposition_broken', function(msg, record)
                  error('this hook is broken')
                end)
                """ + capture("capture")));

        MtaFixture.sendAccepted(app, "one@example.test", "first");
        MtaFixture.sendAccepted(app, "two@example.test", "second");
        sink.awaitMessages(2, WAIT);

        await().atMost(WAIT).until(() -> captured().size() == 2);
        assertThat(captured()).extracting(c -> c.get("record").get("type").asText() + " " + c.get("subject").asText())
                .containsExactlyInAnyOrder("Delivery first", "Delivery second");
        assertThat(records(dir, RecordType.Reception)).hasSize(2);
    }
}
