package dev.sluice.mta.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HeaderEncodingTest {

    @Test
    void asciiStaysReadableAndLongLinesFoldAtWhiteSpace() {
        String value = "word ".repeat(30).strip();
        String field = HeaderEncoding.unstructured("Subject", value);
        assertThat(field).endsWith("\r\n");
        for (String line : field.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(78);
        }
        assertThat(field.replace("\r\n", "").replace("\r\n", "")).isEqualTo("Subject: " + value);
    }

    @Test
    void nonAsciiBecomesEncodedWordsThatNeverSplitACharacter() {
        String value = "😀 Grüße ".repeat(10);
        String field = HeaderEncoding.unstructured("Subject", value);
        var words = Pattern.compile("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]+)\\?=").matcher(field);
        StringBuilder decoded = new StringBuilder();
        int count = 0;
        while (words.find()) {
            assertThat(words.group().length()).isLessThanOrEqualTo(75);
            // each word decodes on its own: no character is cut in half
            String part = new String(Base64.getDecoder().decode(words.group(1)), StandardCharsets.UTF_8);
            assertThat(part).doesNotContain("\uFFFD");
            decoded.append(part);
            count++;
        }
        assertThat(count).isGreaterThan(1);
        assertThat(decoded.toString()).isEqualTo(value);
    }

    @Test
    void displayNamesAreQuotedOrEncodedAsNeeded() {
        assertThat(HeaderEncoding.mailbox("a@example.com", null)).isEqualTo("a@example.com");
        assertThat(HeaderEncoding.mailbox("a@example.com", "John Smith")).isEqualTo("John Smith <a@example.com>");
        assertThat(HeaderEncoding.mailbox("a@example.com", "Smith, John \"JJ\""))
                .isEqualTo("\"Smith, John \\\"JJ\\\"\" <a@example.com>");
        assertThat(HeaderEncoding.mailbox("a@example.com", "Zoë")).isEqualTo("=?UTF-8?B?Wm/Dqw==?= <a@example.com>");
    }

    @Test
    void lineBreaksInValuesAreRefused() {
        assertThatThrownBy(() -> HeaderEncoding.unstructured("Subject", "a\r\nBcc: x@example.org"))
                .hasMessage("header Subject: value contains a line break");
        assertThatThrownBy(() -> HeaderEncoding.mailbox("a@example.com", "x\nBcc: y"))
                .hasMessageContaining("line break");
    }

    @Test
    void quotedPrintableKeepsLinesShortAndEncodesWhatMust() {
        String text = "é".repeat(100) + " \r\n" + "a=b\tend\t\r\n";
        String qp = MimeBuilder.QuotedPrintable.encode(text);
        for (String line : qp.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(76);
            assertThat(line).doesNotEndWith(" ").doesNotEndWith("\t");
        }
        assertThat(qp).contains("a=3Db\tend=09\r\n").contains("=20\r\n");
        assertThat(decode(qp)).isEqualTo(text);
    }

    private static String decode(String qp) {
        String joined = qp.replace("=\r\n", "");
        var out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            if (c == '=') {
                out.write(Integer.parseInt(joined.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Found by InjectRequestFuzzTest: a long file name made one header line of more than 998 octets. */
    @Test
    void longParameterValuesUseRfc2231Continuations() {
        String encoded = HeaderEncoding.parameter("filename", "r\u00e9sum\u00e9-".repeat(60) + ".pdf");
        String plain = HeaderEncoding.parameter("filename", "report-\"q\"-".repeat(60) + ".pdf");
        for (String p : new String[] {encoded, plain}) {
            for (String line : p.split("\r\n\t")) {
                assertThat(line.length()).isLessThanOrEqualTo(78);
            }
        }
        assertThat(encoded).startsWith("filename*0*=UTF-8''r%C3%A9sum%C3%A9-").contains(";\r\n\tfilename*1*=");
        assertThat(plain).startsWith("filename*0=\"report-\\\"q\\\"-").contains(";\r\n\tfilename*1=\"");
        // joined again, the segments are the one-line forms
        String joinedEncoded = encoded.replaceAll(";\r\n\tfilename\\*\\d+\\*=", "").replace("filename*0*=", "");
        assertThat(joinedEncoded).isEqualTo("UTF-8''" + "r%C3%A9sum%C3%A9-".repeat(60) + ".pdf");
        assertThat(HeaderEncoding.parameter("filename", "a.pdf")).isEqualTo("filename=\"a.pdf\"");
    }
}
