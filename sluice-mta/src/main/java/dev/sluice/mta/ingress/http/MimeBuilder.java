package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.http.InjectRequest.Attachment;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds the MIME body of a structured message from rendered text: text/plain, text/x-amp-html and text/html
 * in a multipart/alternative, inline attachments (with a Content-ID) in a multipart/related around it, other
 * attachments in a multipart/mixed around that. Only the needed containers are made: a lone text body is a
 * single text/plain part.
 */
final class MimeBuilder {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_LINE = 998;

    private MimeBuilder() {}

    /** A MIME entity: its Content-* header lines (CRLF-terminated) and its encoded body (CRLF-terminated). */
    record Part(String headers, String body) {}

    static Part build(String text, String ampHtml, String html, List<Attachment> attachments) {
        List<Part> alternatives = new ArrayList<>();
        if (text != null) {
            alternatives.add(textPart("plain", text));
        }
        // AMP goes before text/html: clients show the last alternative they understand.
        if (ampHtml != null) {
            alternatives.add(textPart("x-amp-html", ampHtml));
        }
        if (html != null) {
            alternatives.add(textPart("html", html));
        }
        Part body = alternatives.size() == 1 ? alternatives.getFirst() : multipart("alternative", alternatives);

        List<Part> inline = new ArrayList<>();
        List<Part> attached = new ArrayList<>();
        for (Attachment a : attachments) {
            (a.contentId() != null ? inline : attached).add(attachmentPart(a));
        }
        if (!inline.isEmpty()) {
            List<Part> related = new ArrayList<>();
            related.add(body);
            related.addAll(inline);
            body = multipart("related", related);
        }
        if (!attached.isEmpty()) {
            List<Part> mixed = new ArrayList<>();
            mixed.add(body);
            mixed.addAll(attached);
            body = multipart("mixed", mixed);
        }
        return body;
    }

    static Part textPart(String subtype, String content) {
        String normalized = Syntax.normalizeCrlf(content);
        if (!normalized.endsWith("\r\n")) {
            normalized += "\r\n";
        }
        if (Syntax.isAscii(normalized) && linesWithin(normalized, MAX_LINE)) {
            return new Part("Content-Type: text/" + subtype + "; charset=\"utf-8\"\r\n"
                    + "Content-Transfer-Encoding: 7bit\r\n", normalized);
        }
        return new Part("Content-Type: text/" + subtype + "; charset=\"utf-8\"\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n", QuotedPrintable.encode(normalized));
    }

    static Part attachmentPart(Attachment a) {
        StringBuilder h = new StringBuilder("Content-Type: ").append(a.contentType());
        if (a.fileName() != null) {
            h.append(";\r\n\t").append(HeaderEncoding.parameter("name", a.fileName()));
        }
        h.append("\r\nContent-Transfer-Encoding: base64\r\n");
        h.append("Content-Disposition: ").append(a.contentId() != null ? "inline" : "attachment");
        if (a.fileName() != null) {
            h.append(";\r\n\t").append(HeaderEncoding.parameter("filename", a.fileName()));
        }
        h.append("\r\n");
        if (a.contentId() != null) {
            h.append("Content-ID: <").append(a.contentId()).append(">\r\n");
        }
        String body = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(a.data());
        return new Part(h.toString(), body.isEmpty() ? "" : body + "\r\n");
    }

    static Part multipart(String subtype, List<Part> parts) {
        String boundary = boundary(parts);
        StringBuilder body = new StringBuilder();
        // The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so a part's own final
        // line break survives only with one more CRLF after it.
        for (Part p : parts) {
            if (!body.isEmpty()) {
                body.append("\r\n");
            }
            body.append("--").append(boundary).append("\r\n").append(p.headers()).append("\r\n").append(p.body());
        }
        body.append("\r\n--").append(boundary).append("--\r\n");
        return new Part("Content-Type: multipart/" + subtype + ";\r\n\tboundary=\"" + boundary + "\"\r\n", body.toString());
    }

    /**
     * "=_" never occurs in quoted-printable or base64 output, and the random part makes a clash with 7bit text
     * practically impossible; the check below makes it impossible.
     */
    private static String boundary(List<Part> parts) {
        while (true) {
            byte[] random = new byte[12];
            RANDOM.nextBytes(random);
            String b = "=_sluice_" + HexFormat.of().formatHex(random);
            if (parts.stream().noneMatch(p -> p.body().contains(b))) {
                return b;
            }
        }
    }

    private static boolean linesWithin(String s, int max) {
        int start = 0;
        while (start < s.length()) {
            int end = s.indexOf("\r\n", start);
            if (end < 0) {
                end = s.length();
            }
            if (end - start > max) {
                return false;
            }
            start = end + 2;
        }
        return true;
    }

    /** RFC 2045 6.7 quoted-printable for CRLF text: hard line breaks kept, soft breaks at 76 characters. */
    static final class QuotedPrintable {
        private static final int LIMIT = 76;

        private QuotedPrintable() {}

        static String encode(String crlfText) {
            StringBuilder out = new StringBuilder(crlfText.length() * 11 / 10);
            String[] lines = crlfText.split("\r\n", -1);
            for (int li = 0; li < lines.length; li++) {
                byte[] bytes = lines[li].getBytes(StandardCharsets.UTF_8);
                int col = 0;
                for (int i = 0; i < bytes.length; i++) {
                    int b = bytes[i] & 0xff;
                    boolean last = i == bytes.length - 1;
                    String token;
                    if ((b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !last)) {
                        token = String.valueOf((char) b);
                    } else {
                        token = "=" + hex(b >> 4) + hex(b & 15);
                    }
                    // Leave room for the soft break "=" unless this token ends the line.
                    int room = last ? LIMIT : LIMIT - 1;
                    if (col + token.length() > room) {
                        out.append("=\r\n");
                        col = 0;
                    }
                    out.append(token);
                    col += token.length();
                }
                if (li < lines.length - 1) {
                    out.append("\r\n");
                }
            }
            return out.toString();
        }

        private static char hex(int n) {
            return Character.toUpperCase(Character.forDigit(n, 16));
        }
    }
}
