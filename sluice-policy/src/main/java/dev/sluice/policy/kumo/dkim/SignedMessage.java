package dev.sluice.policy.kumo.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A message as a DKIM signer sees it: the bytes that go on the wire (bare LF as CRLF, a final lone CR completed,
 * as Sluice's SMTP client sends them), split into header fields (ISO-8859-1 strings with their folding and
 * CRLF) and the body. The header section ends at the first empty line, or at a line that is neither a field nor
 * a continuation (then that line starts the body), as Sluice's header methods read it.
 *
 * @param fields header fields in message order
 * @param body   the bytes after the empty line
 */
record SignedMessage(List<String> fields, byte[] body) {
    static SignedMessage parse(byte[] data) {
        String text = new String(wireForm(data), StandardCharsets.ISO_8859_1);
        List<String> fields = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int crlf = text.indexOf("\r\n", pos);
            int end = crlf < 0 ? text.length() : crlf + 2;
            String line = text.substring(pos, end);
            if (line.equals("\r\n")) {
                pos = end;
                break;
            }
            char first = line.charAt(0);
            if ((first == ' ' || first == '\t') && !fields.isEmpty()) {
                fields.add(fields.removeLast() + line);
            } else if (line.indexOf(':') > 0 && first != ' ' && first != '\t') {
                fields.add(line);
            } else {
                break;
            }
            pos = end;
        }
        if (!fields.isEmpty() && !fields.getLast().endsWith("\r\n")) {
            fields.add(fields.removeLast() + "\r\n");
        }
        byte[] body = text.substring(Math.min(pos, text.length())).getBytes(StandardCharsets.ISO_8859_1);
        return new SignedMessage(List.copyOf(fields), body);
    }

    /**
     * Where the body of the raw message {@code data} starts: after the blank line that ends the header section (CRLF
     * or a bare LF), at the first line that is not a header field, or at the end. {@link #parse} of the bytes before
     * it gives the same fields as of the whole message.
     */
    static int bodyStart(byte[] data) {
        int pos = 0;
        boolean any = false;
        while (pos < data.length) {
            int lf = pos;
            while (lf < data.length && data[lf] != '\n') {
                lf++;
            }
            int end = lf < data.length ? lf + 1 : data.length;
            int contentEnd = lf < data.length && lf > pos && data[lf - 1] == '\r' ? lf - 1 : lf;
            if (lf < data.length && contentEnd == pos) {
                return end; // the blank line
            }
            byte first = data[pos];
            boolean continuation = first == ' ' || first == '\t';
            boolean field = false;
            for (int i = pos + 1; i < contentEnd && !continuation; i++) {
                if (data[i] == ':') {
                    field = true;
                    break;
                }
            }
            if (!(continuation && any) && !field) {
                return pos; // not a header line: the body starts here
            }
            any = true;
            pos = end;
        }
        return data.length;
    }

    /** The field name of a raw field. */
    static String name(String field) {
        return field.substring(0, field.indexOf(':')).strip();
    }

    /** How many fields are named {@code name} (case-insensitively). */
    int count(String name) {
        return (int) fields.stream().filter(f -> name(f).equalsIgnoreCase(name)).count();
    }

    /** Bare LF becomes CRLF; a lone CR at the very end gets its LF (what the SMTP client sends). */
    static byte[] wireForm(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + data.length / 32 + 2);
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(data[i]);
        }
        if (data.length > 0 && data[data.length - 1] == '\r') {
            out.write('\n');
        }
        return out.size() == data.length ? data : out.toByteArray();
    }
}
