package dev.sluice.mta.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.ingress.http.InjectRequest.Attachment;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads back what {@link MimeBuilder} built, with a small independent MIME reader, and checks it: CRLF line
 * endings only, body lines within RFC 5322's 998 octets, and the leaves (text, AMP, HTML, inline then other
 * attachments, in that order) decode to exactly what went in.
 */
final class MimeChecks {
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"([^\"]+)\"");

    private MimeChecks() {}

    static void check(MimeBuilder.Part root, String text, String amp, String html, List<Attachment> attachments) {
        List<byte[]> expected = new ArrayList<>();
        for (String t : new String[] {text, amp, html}) {
            if (t != null) {
                String n = Syntax.normalizeCrlf(t);
                expected.add((n.endsWith("\r\n") ? n : n + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        attachments.stream().filter(a -> a.contentId() != null).forEach(a -> expected.add(a.data()));
        attachments.stream().filter(a -> a.contentId() == null).forEach(a -> expected.add(a.data()));

        List<byte[]> leaves = new ArrayList<>();
        read(root.headers(), root.body(), leaves);
        assertThat(leaves).as("MIME leaves decode to the input").hasSameSizeAs(expected);
        for (int i = 0; i < leaves.size(); i++) {
            assertThat(leaves.get(i)).as("leaf %d", i).isEqualTo(expected.get(i));
        }
    }

    private static void read(String headers, String body, List<byte[]> leaves) {
        assertCrlfOnly(headers);
        assertThat(headers).endsWith("\r\n");
        assertCrlfOnly(body);
        for (String line : body.split("\r\n", -1)) {
            assertThat(line.getBytes(StandardCharsets.UTF_8).length).as("body line length").isLessThanOrEqualTo(998);
        }
        String unfolded = headers.replace("\r\n\t", " ").replace("\r\n ", " ");
        String contentType = header(unfolded, "content-type");
        assertThat(contentType).isNotNull();
        if (contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            Matcher m = BOUNDARY.matcher(contentType);
            assertThat(m.find()).isTrue();
            String b = m.group(1);
            String open = "--" + b + "\r\n";
            String close = "\r\n--" + b + "--\r\n";
            assertThat(body).startsWith(open).endsWith(close);
            String inner = body.substring(open.length(), body.length() - close.length());
            for (String part : inner.split(Pattern.quote("\r\n--" + b + "\r\n"), -1)) {
                int blank = part.indexOf("\r\n\r\n");
                assertThat(blank).as("part has a header block").isPositive();
                read(part.substring(0, blank + 2), part.substring(blank + 4), leaves);
            }
            return;
        }
        String cte = header(unfolded, "content-transfer-encoding");
        assertThat(cte).isNotNull();
        switch (cte) {
            case "7bit" -> {
                assertThat(body.chars().allMatch(c -> c < 128)).as("7bit is ASCII").isTrue();
                leaves.add(body.getBytes(StandardCharsets.US_ASCII));
            }
            case "quoted-printable" -> leaves.add(qpDecode(body));
            case "base64" -> leaves.add(Base64.getMimeDecoder().decode(body));
            default -> throw new AssertionError("unexpected Content-Transfer-Encoding " + cte);
        }
    }

    private static String header(String unfolded, String name) {
        for (String line : unfolded.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return null;
    }

    static void assertCrlfOnly(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                assertThat(i + 1 < s.length() && s.charAt(i + 1) == '\n').as("bare CR at %d", i).isTrue();
            } else if (c == '\n') {
                assertThat(i > 0 && s.charAt(i - 1) == '\r').as("bare LF at %d", i).isTrue();
            }
        }
    }

    /** RFC 2045 6.7 decoding; checks that encoded lines are at most 76 characters and only ASCII. */
    private static byte[] qpDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] lines = s.split("\r\n", -1);
        for (int li = 0; li < lines.length; li++) {
            String line = lines[li];
            assertThat(line.length()).as("quoted-printable line length").isLessThanOrEqualTo(76);
            boolean soft = line.endsWith("=");
            if (soft) {
                line = line.substring(0, line.length() - 1);
            } else if (!line.isEmpty()) {
                char last = line.charAt(line.length() - 1);
                assertThat(last != ' ' && last != '\t').as("no trailing white space").isTrue();
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                assertThat(c < 128).isTrue();
                if (c == '=') {
                    out.write(Integer.parseInt(line.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    out.write(c);
                }
            }
            if (!soft && li < lines.length - 1) {
                out.write('\r');
                out.write('\n');
            }
        }
        return out.toByteArray();
    }
}
