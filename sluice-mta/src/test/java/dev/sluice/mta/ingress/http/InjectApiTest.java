package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.Admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.message.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /api/inject/v1} end to end: curl or java.net.http → HttpServer → a recording Injector. */
class InjectApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private IngressFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private IngressFixture start(RecordingInjector injector) {
        fixture = new IngressFixture(injector, Admission.ALWAYS, dir);
        return fixture;
    }

    private static JsonNode json(String body) throws Exception {
        return JSON.readTree(body);
    }

    private static String header(String message, String name) {
        for (String line : message.split("\r\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return null;
    }

    @Test
    void rawContentWithCurlIsSpooledAsWrittenWithCrlfLineEnds() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.curlPost(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "noreply@example.com",
                 "content": "From: Me <me@example.com>\\nSubject: hello\\n\\nHello there\\n.\\nbye",
                 "recipients": [{"email": "rcpt@example.net"}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        JsonNode body = json(answer.body());
        assertThat(body.get("success_count").asInt()).isEqualTo(1);
        assertThat(body.get("fail_count").asInt()).isZero();
        assertThat(body.get("failed_recipients")).isEmpty();
        assertThat(body.get("errors")).isEmpty();

        assertThat(injector.calls).hasSize(1);
        var call = injector.calls.getFirst();
        Message m = call.messages().getFirst();
        assertThat(m.sender()).isEqualTo("noreply@example.com");
        assertThat(m.recipient()).isEqualTo("rcpt@example.net");
        assertThat(m.metaMap()).isEqualTo(java.util.Map.of("http_auth", "127.0.0.1")); // KumoMTA: who injected it
        String data = m.dataAsString();
        // KumoMTA's default supplemental trace header comes first, then the content exactly, with CRLF.
        assertThat(data).endsWith("From: Me <me@example.com>\r\nSubject: hello\r\n\r\nHello there\r\n.\r\nbye\r\n");
        assertThat(data.replaceAll("\r\n", "")).doesNotContain("\n");
        String ref = header(data, "X-KumoRef");
        assertThat(new String(Base64.getDecoder().decode(ref), StandardCharsets.UTF_8))
                .isEqualTo("{\"_@_\":\"\\\\_/\",\"recipient\":\"rcpt@example.net\"}");

        assertThat(call.context().protocol()).isEqualTo("HTTP");
        assertThat(call.context().peer().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(call.context().local()).isEqualTo(f.address);
        assertThat(call.context().heloName()).isNull();
        assertThat(call.context().connMeta()).containsEntry("http_auth", "127.0.0.1");
    }

    @Test
    void traceHeadersCanBeTurnedOffOrAddReceived() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "noreply@example.com", "content": "Subject: x\\n\\nbody",
                 "trace_headers": {"supplemental_header": false, "received_header": true},
                 "recipients": [{"email": "rcpt@example.net"}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        String data = injector.messages().getFirst().dataAsString();
        assertThat(data).doesNotContain("X-KumoRef");
        assertThat(data.replace("\r\n ", " ")).startsWith("Received: from [127.0.0.1] by ").contains(" with HTTP id "
                + injector.messages().getFirst().id() + " for <rcpt@example.net>;");
        assertThat(data).endsWith("Subject: x\r\n\r\nbody\r\n");
    }

    @Test
    void structuredContentBuildsMimeThatAnIndependentParserReadsBack() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);
        byte[] gif = Base64.getDecoder().decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
        byte[] pdf = new byte[3000];
        for (int i = 0; i < pdf.length; i++) {
            pdf[i] = (byte) (i * 31 + 7);
        }
        String longText = "Grüße aus Köln — ".repeat(12) + "fin.\nSecond line = equals sign and trailing space \n";
        String request = JSON.writeValueAsString(Map.of(
                "envelope_sender", "bounces@sender.example",
                "recipients", List.of(Map.of("email", "john@example.net", "name", "John Smith")),
                "content", Map.of(
                        "subject", "Ünïcödé subject that is rather long so that it needs more than one encoded word",
                        "from", Map.of("email", "news@sender.example", "name", "Zoë News"),
                        "reply_to", Map.of("email", "help@sender.example", "name", "Help, Desk"),
                        "headers", Map.of("X-Campaign", "summer"),
                        "text_body", longText,
                        "html_body", "<p>Hello <b>John</b> <img src=\"cid:logo\"></p>",
                        "attachments", List.of(
                                Map.of("data", Base64.getEncoder().encodeToString(gif), "base64", true,
                                        "content_type", "image/gif", "content_id", "logo"),
                                Map.of("data", Base64.getEncoder().encodeToString(pdf), "base64", true,
                                        "content_type", "application/pdf", "file_name", "Rechnung März.pdf"),
                                Map.of("data", "plain, not base64", "content_type", "text/csv",
                                        "file_name", "list.csv")))));

        var answer = f.curlPost(HttpIngress.INJECT_PATH, request);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(json(answer.body()).get("success_count").asInt()).isEqualTo(1);
        Message m = injector.messageFor("john@example.net");
        String raw = m.dataAsString();
        assertThat(raw.replaceAll("\r\n", "")).doesNotContain("\n");
        for (String line : raw.split("\r\n")) {
            assertThat(line.length()).as("line length of '%s'", line).isLessThanOrEqualTo(998);
        }
        assertThat(header(raw, "MIME-Version")).isEqualTo("1.0");
        assertThat(header(raw, "Message-ID")).isEqualTo("<" + m.id() + "@sender.example>");
        assertThat(header(raw, "Date")).matches("\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000");

        JsonNode parsed = PythonEmail.parse(m.data(), dir);
        assertThat(parsed.get("defects")).as(parsed.toString()).isEmpty();
        JsonNode headers = parsed.get("headers");
        assertThat(headers.get("Subject").asText())
                .isEqualTo("Ünïcödé subject that is rather long so that it needs more than one encoded word");
        assertThat(headers.get("From").asText()).isEqualTo("Zoë News <news@sender.example>");
        assertThat(headers.get("Reply-To").asText()).isEqualTo("\"Help, Desk\" <help@sender.example>");
        assertThat(headers.get("To").asText()).isEqualTo("John Smith <john@example.net>");
        assertThat(headers.get("X-Campaign").asText()).isEqualTo("summer");
        assertThat(JSON.convertValue(parsed.get("structure"), List.class)).containsExactly(
                "multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html",
                "image/gif", "application/pdf", "text/csv");

        JsonNode parts = parsed.get("parts");
        assertThat(parts.get(0).get("text").asText().replace("\r\n", "\n")).isEqualTo(longText.replace("\n", "\n"));
        assertThat(parts.get(0).get("cte").asText()).isEqualTo("quoted-printable");
        assertThat(parts.get(1).get("text").asText().replace("\r\n", "\n")).isEqualTo("<p>Hello <b>John</b> <img src=\"cid:logo\"></p>\n");
        assertThat(parts.get(2).get("hex").asText()).isEqualTo(HexFormat.of().formatHex(gif));
        assertThat(parts.get(2).get("disposition").asText()).isEqualTo("inline");
        assertThat(parts.get(2).get("content_id").asText()).isEqualTo("<logo>");
        assertThat(parts.get(3).get("hex").asText()).isEqualTo(HexFormat.of().formatHex(pdf));
        assertThat(parts.get(3).get("disposition").asText()).isEqualTo("attachment");
        assertThat(parts.get(3).get("filename").asText()).isEqualTo("Rechnung März.pdf");
        assertThat(parts.get(3).get("cte").asText()).isEqualTo("base64");
        assertThat(parts.get(4).get("text").asText()).isEqualTo("plain, not base64");
        assertThat(parts.get(4).get("filename").asText()).isEqualTo("list.csv");
    }

    @Test
    void textOnlyIsASinglePartAndBoundariesCloseEveryMultipart() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "recipients": [{"email": "b@example.net"}, {"email": "c@example.net"}],
                 "content": {"text_body": "just text", "subject": "plain"}}
                """);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        String raw = injector.messageFor("b@example.net").dataAsString();
        assertThat(raw).contains("Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + "just text\r\n");
        assertThat(raw).doesNotContain("multipart");

        var second = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "recipients": [{"email": "d@example.net"}],
                 "content": {"text_body": "t", "html_body": "<i>h</i>"}}
                """);
        assertThat(second.status()).isEqualTo(200);
        String alt = injector.messageFor("d@example.net").dataAsString();
        var boundary = java.util.regex.Pattern.compile("boundary=\"([^\"]+)\"").matcher(alt);
        assertThat(boundary.find()).isTrue();
        String b = boundary.group(1);
        assertThat(alt).contains("\r\n--" + b + "\r\nContent-Type: text/plain")
                .contains("\r\n--" + b + "\r\nContent-Type: text/html")
                .endsWith("\r\n--" + b + "--\r\n");
        var amp = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "recipients": [{"email": "e@example.net"}],
                 "content": {"text_body": "t", "html_body": "<i>h</i>", "amp_html_body": "<html amp4email>a</html>"}}
                """);
        assertThat(amp.status()).isEqualTo(200);
        JsonNode ampParsed = PythonEmail.parse(injector.messageFor("e@example.net").data(), dir);
        assertThat(ampParsed.get("defects")).isEmpty();
        // AMP before HTML: a client shows the last alternative it understands.
        assertThat(JSON.convertValue(ampParsed.get("structure"), List.class)).containsExactly(
                "multipart/alternative", "text/plain", "text/x-amp-html", "text/html");
        // one message per recipient, each with its own id
        assertThat(injector.messageFor("b@example.net").id()).isNotEqualTo(injector.messageFor("c@example.net").id());
    }

    @Test
    void jinjaSubstitutionsPerRecipientOverlayTheRequestOnes() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.curlPost(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "news@example.com",
                 "substitutions": {"greeting": "Hello", "offer": "10%"},
                 "recipients": [
                   {"email": "ann@example.net", "name": "Ann", "substitutions": {"offer": "20%", "tag": "<vip>"},
                    "metadata": {"tenant": "acme", "list": 7}},
                   {"email": "bob@example.net", "name": "Bob"}],
                 "content": {
                   "subject": "{{ greeting }} {{ name }}",
                   "headers": {"X-Offer": "{{ offer }} for {{ email }}"},
                   "text_body": "{{ greeting }} {{ name }}, your offer: {{ offer }}{% if tag %} {{ tag }}{% endif %}",
                   "html_body": "<p>{{ name }} {{ tag }}</p>"}}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(json(answer.body()).get("success_count").asInt()).isEqualTo(2);

        Message ann = injector.messageFor("ann@example.net");
        JsonNode annParsed = PythonEmail.parse(ann.data(), dir);
        assertThat(annParsed.get("headers").get("Subject").asText()).isEqualTo("Hello Ann");
        assertThat(annParsed.get("headers").get("X-Offer").asText()).isEqualTo("20% for ann@example.net");
        assertThat(annParsed.get("parts").get(0).get("text").asText().replace("\r\n", "\n")).isEqualTo("Hello Ann, your offer: 20% <vip>\n");
        // HTML bodies are auto-escaped, as KumoMTA's html_body templates are.
        assertThat(annParsed.get("parts").get(1).get("text").asText().replace("\r\n", "\n")).isEqualTo("<p>Ann &lt;vip&gt;</p>\n");
        assertThat(ann.meta("rcpt_meta")).isEqualTo(Map.of("tenant", "acme", "list", 7));

        Message bob = injector.messageFor("bob@example.net");
        JsonNode bobParsed = PythonEmail.parse(bob.data(), dir);
        assertThat(bobParsed.get("headers").get("Subject").asText()).isEqualTo("Hello Bob");
        assertThat(bobParsed.get("headers").get("X-Offer").asText()).isEqualTo("10% for bob@example.net");
        assertThat(bobParsed.get("parts").get(0).get("text").asText().replace("\r\n", "\n")).isEqualTo("Hello Bob, your offer: 10%\n");
        assertThat(bob.metaMap()).isEqualTo(java.util.Map.of("http_auth", "127.0.0.1"));
    }

    @Test
    void jinjaAppliesToRawContentToo() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com",
                 "content": "To: {{ to_header }}\\nSubject: hi {{ name }}\\n\\nDear {{ name }}, {{ n + 1 }}",
                 "recipients": [{"email": "jo@example.net", "name": "Jo Doe", "substitutions": {"n": 41}}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(injector.messageFor("jo@example.net").dataAsString())
                .endsWith("To: Jo Doe <jo@example.net>\r\nSubject: hi Jo Doe\r\n\r\nDear Jo Doe, 42\r\n");
    }

    @Test
    void staticDialectLeavesBracesAlone() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);

        var answer = f.curlPost(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "template_dialect": "Static",
                 "content": "Subject: {{ name }}\\n\\n{% if x %}literal{% endif %} {{ name }",
                 "recipients": [{"email": "jo@example.net", "name": "Jo"}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(injector.messageFor("jo@example.net").dataAsString())
                .endsWith("Subject: {{ name }}\r\n\r\n{% if x %}literal{% endif %} {{ name }\r\n");
    }

    @Test
    void shapeErrorsAre400AndNameTheField() throws Exception {
        var f = start(new RecordingInjector());
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"envelope_sender\": \"a@example.com\", ", "invalid JSON");
        cases.put("[1, 2]", "request: expected a JSON object, got a list");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\"}", "recipients: required");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", \"recipients\": []}",
                "recipients: must not be empty");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", "
                        + "\"recipients\": [{\"email\": \"ok@example.net\"}, {\"email\": \"ok2@example.net\"}, "
                        + "{\"email\": \"not an address\"}]}",
                "recipients[2].email: not an email address: 'not an address'");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", "
                + "\"recipients\": [{\"name\": \"no email\"}]}", "recipients[0].email: required");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", "
                + "\"recipients\": [\"b@example.net\"]}", "recipients[0]: expected an object");
        cases.put("{\"content\": \"Subject: x\\n\\nx\", \"recipients\": [{\"email\": \"b@example.net\"}]}",
                "envelope_sender: required");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"recipients\": [{\"email\": \"b@example.net\"}]}",
                "content: required");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": 5, \"recipients\": [{\"email\": \"b@example.net\"}]}",
                "content: expected an RFC 5322 message as a string or an object");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", \"substitutions\": [1], "
                + "\"recipients\": [{\"email\": \"b@example.net\"}]}", "substitutions: expected an object, got a list");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", \"template_dialect\": \"Mustache\", "
                + "\"recipients\": [{\"email\": \"b@example.net\"}]}", "template_dialect: expected Jinja, Static or Handlebars");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"text_body\": \"x\", \"from\": {\"email\": \"bad\"}}, "
                + "\"recipients\": [{\"email\": \"b@example.net\"}]}", "content.from.email: not an email address: 'bad'");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"text_body\": 3}, "
                + "\"recipients\": [{\"email\": \"b@example.net\"}]}", "content.text_body: expected a string, got a number");
        for (var c : cases.entrySet()) {
            var answer = f.post(HttpIngress.INJECT_PATH, c.getKey());
            assertThat(answer.status()).as("%s -> %s", c.getKey(), answer.body()).isEqualTo(400);
            assertThat(answer.body()).as(c.getKey()).startsWith(c.getValue());
        }
        // curl sees the same answer
        var viaCurl = f.curlPost(HttpIngress.INJECT_PATH, "{\"envelope_sender\": \"a@example.com\"}");
        assertThat(viaCurl.status()).isEqualTo(400);
        assertThat(viaCurl.body()).isEqualTo("recipients: required\n");
    }

    @Test
    void contentThatCannotBeBuiltIs422() throws Exception {
        var injector = new RecordingInjector();
        var f = start(injector);
        String rcpt = ", \"recipients\": [{\"email\": \"b@example.net\"}]}";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"just a line of text without headers\"" + rcpt,
                "content: not an RFC 5322 message: line 1 is not a header field");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", \"template_dialect\": \"Handlebars\""
                + rcpt, "template_dialect: Handlebars is not supported by Sluice (use Jinja or Static)");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: {% if %}\\n\\nx\"" + rcpt,
                "content: template error: line 1:");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"subject\": \"{% for x in %}\", \"text_body\": \"x\"}"
                + rcpt, "content.subject: template error");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"subject\": \"no body\"}" + rcpt,
                "content: at least one of text_body and html_body must be given");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"text_body\": \"x\", \"attachments\": "
                + "[{\"data\": \"***\", \"base64\": true, \"content_type\": \"image/gif\"}]}" + rcpt,
                "content.attachments[0].data: not valid base64");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"text_body\": \"x\", \"headers\": {\"Bad Name\": \"v\"}}"
                + rcpt, "content.headers['Bad Name']: not a valid header name");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": {\"text_body\": \"x\", \"headers\": {\"Content-Type\": \"text/x\"}}"
                + rcpt, "content.headers['Content-Type']: set by the MIME builder");
        cases.put("{\"envelope_sender\": \"a@example.com\", \"content\": \"Subject: x\\n\\nx\", \"deferred_generation\": true"
                + rcpt, "deferred_generation is not supported yet");
        for (var c : cases.entrySet()) {
            var answer = f.post(HttpIngress.INJECT_PATH, c.getKey());
            assertThat(answer.status()).as("%s -> %s", c.getKey(), answer.body()).isEqualTo(422);
            assertThat(answer.body()).as(c.getKey()).startsWith(c.getValue());
        }
        assertThat(injector.calls).isEmpty();
    }

    @Test
    void countsOnlyAcceptedAsSuccessAndReportsEachFailure() throws Exception {
        var injector = new RecordingInjector(m -> switch (m.recipient()) {
            case "rejected@example.net" -> CompletableFuture.completedFuture(
                    new InjectResult.Rejected(550, "5.7.1", "relaying denied by policy"));
            case "later@example.net" -> CompletableFuture.completedFuture(
                    new InjectResult.TemporaryFailure(452, "4.3.1", "spool below min_free_space"));
            case "broken@example.net" -> CompletableFuture.failedFuture(new IllegalStateException("policy event failed"));
            default -> CompletableFuture.completedFuture(new InjectResult.Accepted(m.id()));
        });
        var f = start(injector);

        var answer = f.curlPost(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "content": {"subject": "{{ subject }}", "text_body": "x"},
                 "recipients": [{"email": "ok1@example.net"}, {"email": "rejected@example.net"},
                                {"email": "later@example.net"}, {"email": "ok2@example.net"},
                                {"email": "broken@example.net"},
                                {"email": "crlf@example.net", "substitutions": {"subject": "a\\r\\nBcc: victim@example.org"}}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        JsonNode body = json(answer.body());
        assertThat(body.get("success_count").asInt()).isEqualTo(2);
        assertThat(body.get("fail_count").asInt()).isEqualTo(4);
        assertThat(JSON.convertValue(body.get("failed_recipients"), List.class)).containsExactlyInAnyOrder(
                "rejected@example.net", "later@example.net", "broken@example.net", "crlf@example.net");
        assertThat(JSON.convertValue(body.get("errors"), List.class)).containsExactlyInAnyOrder(
                "rejected@example.net: 550 5.7.1 relaying denied by policy",
                "later@example.net: 452 4.3.1 spool below min_free_space",
                "broken@example.net: policy event failed",
                "crlf@example.net: header Subject: value contains a line break");
        // A header-injection attempt never reached the injector.
        assertThat(injector.messages()).extracting(Message::recipient).doesNotContain("crlf@example.net");
    }

    @Test
    void liveness200Or503WithTheReasonAndInjectRefusedToo() throws Exception {
        var reason = new java.util.concurrent.atomic.AtomicReference<String>();
        var injector = new RecordingInjector();
        fixture = new IngressFixture(injector, () -> java.util.Optional.ofNullable(reason.get()), dir);
        var f = fixture;

        assertThat(f.curlGet(HttpIngress.LIVENESS_PATH)).isEqualTo(new IngressFixture.Answer(200, "OK\n"));

        reason.set("spool /var/spool below min_free_space (1000 bytes free, need 5%)");
        var refused = f.curlGet(HttpIngress.LIVENESS_PATH);
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).isEqualTo("spool /var/spool below min_free_space (1000 bytes free, need 5%)\n");
        var inject = f.post(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "content": "Subject: x\\n\\nx", "recipients": [{"email": "b@example.net"}]}
                """);
        assertThat(inject.status()).isEqualTo(503);
        assertThat(inject.body()).contains("below min_free_space");
        assertThat(injector.calls).isEmpty();

        reason.set(null);
        assertThat(f.get(HttpIngress.LIVENESS_PATH).status()).isEqualTo(200);
    }

    @Test
    void aSpoolWriteThatFailsForLackOfStorageAnswers507NotAFailCountOf200() throws Exception {
        var injector = new RecordingInjector(m -> CompletableFuture.completedFuture(new InjectResult.TemporaryFailure(452,
                "4.3.1", "insufficient system storage: spool write failed, try again later")));
        var f = start(injector);

        var answer = f.curlPost(HttpIngress.INJECT_PATH, """
                {"envelope_sender": "a@example.com", "content": "Subject: x\\n\\nx",
                 "recipients": [{"email": "b@example.net"}, {"email": "c@example.net"}]}
                """);

        assertThat(answer.status()).as(answer.body()).isEqualTo(507);
        JsonNode body = json(answer.body());
        assertThat(body.get("success_count").asInt()).isZero();
        assertThat(body.get("fail_count").asInt()).isEqualTo(2);
        assertThat(body.get("errors").get(0).asText()).contains("452 4.3.1 insufficient system storage");
    }

    @Test
    void untrustedPeersAreRefusedAndBodiesOverTheLimitGet413() throws Exception {
        var injector = new RecordingInjector();
        var config = dev.sluice.net.http.HttpListenerConfig.plain(
                        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))
                .withTrustedHosts(List.of("10.0.0.0/8"));
        try (var untrusted = new IngressFixture(config, injector, Admission.ALWAYS, dir)) {
            assertThat(untrusted.get(HttpIngress.LIVENESS_PATH).status()).isEqualTo(401);
            assertThat(untrusted.post(HttpIngress.INJECT_PATH, "{}").status()).isEqualTo(401);
        }
        var small = dev.sluice.net.http.HttpListenerConfig.plain(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)).withRequestBodyLimit(100);
        try (var limited = new IngressFixture(small, injector, Admission.ALWAYS, dir)) {
            var big = limited.curlPost(HttpIngress.INJECT_PATH, "{\"envelope_sender\": \"a@example.com\", \"content\": \""
                    + "x".repeat(500) + "\", \"recipients\": [{\"email\": \"b@example.net\"}]}");
            assertThat(big.status()).isEqualTo(413);
        }
        assertThat(injector.calls).isEmpty();
    }
}
