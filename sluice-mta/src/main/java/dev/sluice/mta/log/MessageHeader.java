package dev.sluice.mta.log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One header field of a message, unfolded; {@link #parse} reads the header section of RFC 5322 data. */
public record MessageHeader(String name, String value) {

    /**
     * The header fields of {@code data}, in order, up to the first empty line. Folded lines are joined (the CRLF
     * removed, the whitespace kept), the value's leading whitespace and trailing line end are stripped. Lines that
     * are not fields (no colon) are skipped. Bytes are read as UTF-8 (RFC 6532).
     */
    public static List<MessageHeader> parse(byte[] data) {
        List<MessageHeader> out = new ArrayList<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        int pos = 0;
        while (pos < data.length) {
            int end = pos;
            while (end < data.length && data[end] != '\n') {
                end++;
            }
            int lineEnd = end > pos && data[end - 1] == '\r' ? end - 1 : end;
            String line = new String(data, pos, lineEnd - pos, StandardCharsets.UTF_8);
            pos = end + 1;
            if (line.isEmpty()) {
                break; // end of the header section
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                if (name != null) {
                    value.append(line);
                }
                continue;
            }
            if (name != null) {
                out.add(new MessageHeader(name, value.toString().strip()));
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                name = null;
                continue;
            }
            name = line.substring(0, colon).strip();
            value.setLength(0);
            value.append(line, colon + 1, line.length());
        }
        if (name != null) {
            out.add(new MessageHeader(name, value.toString().strip()));
        }
        return out;
    }
}
