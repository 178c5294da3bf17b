package dev.sluice.mta.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code msg:check_fix_conformance} with KumoMTA's issue names, checked and fixed. */
class ConformanceTest {
    private static final String ALL = "MISSING_COLON_VALUE|NON_CANONICAL_LINE_ENDINGS|NAME_ENDS_WITH_SPACE|LINE_TOO_LONG"
            + "|NEEDS_TRANSFER_ENCODING|MISSING_DATE_HEADER|MISSING_MESSAGE_ID_HEADER|MISSING_MIME_VERSION";
    private static final String LONG = "word ".repeat(30).strip();
    /** Everything wrong at once: bare LF, "Subject :", a field without colon, a long line, 8-bit text, no Date/Message-ID/MIME-Version. */
    private static final String BAD = "From: Jörg <jorg@example.com>\n"
            + "Subject : grüße " + LONG + "\n"
            + "X-Broken\n"
            + "To: bob@example.net\n"
            + "\n"
            + "Grüße aus Köln. " + LONG + "\n"
            + "= sign and trailing space \n";
    private static final String GOOD = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n"
            + "Date: Sun, 6 Dec 2026 09:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n\r\nhello\r\n";

    @TempDir
    Path dir;

    private Object run(Message m, String lua) throws Exception {
        Path file = Files.createTempFile(dir, "p", ".lua");
        Files.writeString(file, "kumo.on('e', function(msg) " + lua + " end)\n");
        try (Policy p = Policy.load(new PolicyOptions(file, 1, List.of(), null))) {
            return p.call("e", new LuaMessage(m));
        }
    }

    private static Message message(String data) {
        return new Message(MessageId.next(Instant.now()), "alice@example.com", "bob@example.net", Map.of(),
                data.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyIssueIsNamedAndNothingChanges() throws Exception {
        Message m = message(BAD);
        assertThat(run(m, "return msg:check_fix_conformance('" + ALL + "', '')")).isEqualTo(
                "Message has conformance issues: " + ALL);
        assertThat(m.dataAsString()).isEqualTo(BAD);
        assertThat(run(m, "return msg:check_fix_conformance('MISSING_DATE_HEADER|MISSING_COLON_VALUE', '')"))
                .isEqualTo("Message has conformance issues: MISSING_COLON_VALUE|MISSING_DATE_HEADER");
        assertThat(run(message(GOOD), "return msg:check_fix_conformance('" + ALL + "', '')")).isNull();
    }

    @Test
    void fixingEverythingGivesAConformingMessageWithTheSameText() throws Exception {
        Message m = message(BAD);
        assertThat(run(m, "return msg:check_fix_conformance('" + ALL + "', '" + ALL + "')")).isNull();
        String fixed = m.dataAsString();
        assertThat(fixed).doesNotContain("\r\r").doesNotContainPattern("[^\r]\n");
        assertThat(fixed.lines()).allMatch(l -> l.length() <= 78);
        assertThat(fixed.chars()).allMatch(c -> c < 128);
        // a second look finds nothing
        assertThat(run(m, "return msg:check_fix_conformance('" + ALL + "', '')")).isNull();
        assertThat(run(m, "return msg:get_first_named_header_value('Subject')")).isEqualTo("grüße " + LONG);
        assertThat(run(m, "return msg:from_header().name")).isEqualTo("Jörg");
        assertThat(run(m, "return msg:get_first_named_header_value('Message-ID')")).isEqualTo("<" + m.id() + "@example.com>");
        assertThat(run(m, "return msg:get_first_named_header_value('MIME-Version')")).isEqualTo("1.0");
        assertThat(Conformance.isDate((String) run(m, "return msg:get_first_named_header_value('Date')"))).isTrue();
        assertThat(fixed).contains("Content-Transfer-Encoding: quoted-printable\r\n", "Content-Type: text/plain; charset=utf-8\r\n",
                "X-Broken:\r\n");
        String body = fixed.substring(fixed.indexOf("\r\n\r\n") + 4);
        assertThat(new String(Conformance.decodeQuotedPrintable(body), StandardCharsets.UTF_8))
                .isEqualTo("Grüße aus Köln. " + LONG + "\r\n= sign and trailing space \r\n");
    }

    @Test
    void whatIsFixedIsNotReportedAndOnlyMissingHeadersLeaveTheRestAlone() throws Exception {
        Message m = message(BAD);
        assertThat(run(m, "return msg:check_fix_conformance('MISSING_DATE_HEADER', 'MISSING_DATE_HEADER|MISSING_MIME_VERSION',"
                + " {message_id = 'ignored@example.com'})")).isNull();
        String fixed = m.dataAsString();
        assertThat(fixed).startsWith(BAD.substring(0, BAD.indexOf("\n\n")));
        assertThat(fixed).endsWith("\nMIME-Version: 1.0\n\n" + BAD.substring(BAD.indexOf("\n\n") + 2));
        assertThat(fixed).contains("\nDate: ");
        assertThat(run(m, "return msg:check_fix_conformance('MISSING_MESSAGE_ID_HEADER', 'MISSING_MESSAGE_ID_HEADER',"
                + " {message_id = 'chosen@example.com'})")).isNull();
        assertThat(m.dataAsString()).contains("\nMessage-ID: <chosen@example.com>\n");
    }

    @Test
    void multipartLeavesAreEncodedOneByOne() throws Exception {
        String attachment = "AAECAwQFBgcICQ==";
        String data = "From: a@example.com\r\nDate: Sun, 6 Dec 2026 09:00:00 +0000\r\nMessage-ID: <2@example.com>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nschön\r\n"
                + "--b1\r\nContent-Type: text/html\r\n\r\n<p>" + LONG + LONG + "</p>\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n"
                + "--b1--\r\nepilogue\r\n";
        Message m = message(data);
        assertThat(run(m, "return msg:check_fix_conformance('', 'LINE_TOO_LONG|NEEDS_TRANSFER_ENCODING')")).isNull();
        String fixed = m.dataAsString();
        assertThat(fixed).startsWith(data.substring(0, data.indexOf("--b1\r\n")));
        assertThat(fixed).contains("\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsch=C3=B6n\r\n--b1\r\n");
        assertThat(fixed).contains("Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>word");
        assertThat(fixed).contains("Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n--b1--\r\nepilogue\r\n");
        assertThat(run(m, "return msg:check_fix_conformance('" + ALL + "', '')")).isNull();
    }

    @Test
    void datesAreReadAsRfc5322Says() {
        assertThat(Conformance.isDate("Sun, 6 Dec 2026 09:00:00 +0000")).isTrue();
        assertThat(Conformance.isDate("6 Dec 2026 09:00 -0700")).isTrue();
        assertThat(Conformance.isDate("Tue,  06 Dec 2026 09:00:00 GMT (a comment)")).isTrue();
        assertThat(Conformance.isDate("yesterday")).isFalse();
        assertThat(Conformance.isDate("2026-12-06T09:00:00Z")).isFalse();
    }

    @Test
    void unknownIssueNamesRaise() {
        assertThatThrownBy(() -> run(message(GOOD), "return msg:check_fix_conformance('LINE_TOO_LONG|spoon', '')"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("invalid conformance flag 'spoon', possible values are 'INVALID_MIME_HEADERS', 'LINE_TOO_LONG'");
    }
}
