package dev.sluice.policy.kumo.dkim;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * RFC 6376 section 3.4: the two canonicalization algorithms, for header fields and for the body. Both work on a
 * message whose line endings are already CRLF ({@link SignedMessage}); header fields are ISO-8859-1 strings (one
 * char per byte) including their folding and final CRLF.
 */
public enum Canonicalization {
    SIMPLE("simple"),
    RELAXED("relaxed");

    private static final byte[] CRLF = {'\r', '\n'};

    private final String tag;

    Canonicalization(String tag) {
        this.tag = tag;
    }

    /** The name in the {@code c=} tag. */
    String tag() {
        return tag;
    }

    /** KumoMTA's spelling in the signer parameters: {@code "Relaxed"} or {@code "Simple"}. */
    static Canonicalization parse(String value, String key) {
        return switch (value) {
            case "Relaxed" -> RELAXED;
            case "Simple" -> SIMPLE;
            default -> throw new IllegalArgumentException(key + " must be \"Relaxed\" or \"Simple\", got \"" + value + "\"");
        };
    }

    /**
     * One header field as it enters the hash. Simple: unchanged. Relaxed (3.4.2): name lower-cased, continuation
     * lines unfolded, runs of white space reduced to one space, white space at the end of the value and around
     * the colon removed; ends with CRLF.
     */
    String header(String raw) {
        if (this == SIMPLE) {
            return raw;
        }
        String field = raw.endsWith("\r\n") ? raw.substring(0, raw.length() - 2) : raw;
        int colon = field.indexOf(':');
        String name = field.substring(0, colon).toLowerCase(Locale.ROOT);
        String value = field.substring(colon + 1).replace("\r\n", "");
        return stripWsp(name) + ":" + stripWsp(collapseWsp(value)) + "\r\n";
    }

    /**
     * The body as it enters the body hash (3.4.3 and 3.4.4): empty lines at the end removed and the last line
     * terminated; relaxed also reduces runs of white space within a line to one space and drops white space at the
     * end of each line. An empty body is CRLF for simple, nothing for relaxed.
     */
    byte[] body(byte[] body) {
        List<byte[]> lines = splitLines(body);
        if (this == RELAXED) {
            lines.replaceAll(Canonicalization::relaxLine);
        }
        while (!lines.isEmpty() && lines.getLast().length == 0) {
            lines.removeLast();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 2);
        if (lines.isEmpty()) {
            return this == SIMPLE ? CRLF.clone() : new byte[0];
        }
        for (byte[] line : lines) {
            out.writeBytes(line);
            out.writeBytes(CRLF);
        }
        return out.toByteArray();
    }

    /** The lines of a CRLF body without their CRLF; text after the last CRLF (possibly "") is the last line. */
    private static List<byte[]> splitLines(byte[] body) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + 1 < body.length; i++) {
            if (body[i] == '\r' && body[i + 1] == '\n') {
                lines.add(java.util.Arrays.copyOfRange(body, start, i));
                start = i + 2;
                i++;
            }
        }
        lines.add(java.util.Arrays.copyOfRange(body, start, body.length));
        return lines;
    }

    private static byte[] relaxLine(byte[] line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(line.length);
        boolean pendingSpace = false;
        for (byte b : line) {
            if (b == ' ' || b == '\t') {
                pendingSpace = true;
            } else {
                if (pendingSpace) {
                    out.write(' ');
                    pendingSpace = false;
                }
                out.write(b);
            }
        }
        return out.toByteArray(); // a pending space at the end of the line is dropped
    }

    private static String collapseWsp(String s) {
        return s.replaceAll("[ \\t]+", " ");
    }

    private static String stripWsp(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }
}
