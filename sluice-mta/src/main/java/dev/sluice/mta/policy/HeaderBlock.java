package dev.sluice.mta.policy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.SpilledData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The header section of a message as a list of fields, for the policy's header methods. Works on the bytes as
 * ISO-8859-1 text (one char per byte), so editing headers leaves every other byte of the message as it was.
 * Keeps the message's line ending (CRLF, or LF for a message that uses bare LFs).
 */
final class HeaderBlock {
    /** One field: its name and its raw text including folded continuation lines and the final line ending. */
    record Field(String name, String raw) {
        /**
         * The value: unfolded (each line break and the white space around it become one space), raw bytes read as
         * UTF-8, RFC 2047 encoded words decoded (white space between two adjacent encoded words dropped).
         */
        String value() {
            int colon = raw.indexOf(':');
            String v = raw.substring(colon + 1).strip().replaceAll("[ \\t]*\\r?\\n[ \\t]*", " ");
            return decodeWords(new String(v.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }

        boolean named(String other) {
            return name.equalsIgnoreCase(other);
        }
    }

    private final List<Field> fields;
    private final String eol;
    /** Everything after the header fields: the blank line and the body, or "" when there is no body. */
    private final String rest;
    /** Parsed from the first bytes only ({@link #parseHead}): the whole data, of which these are the head. */
    private SpilledData whole;
    private int headLength;

    private HeaderBlock(List<Field> fields, String eol, String rest) {
        this.fields = fields;
        this.eol = eol;
        this.rest = rest;
    }

    /** Bytes of a message's head read to find its header section: first this many, then more up to the maximum. */
    private static final int HEAD = 64 * 1024;
    private static final int MAX_HEAD = 1 << 20;

    /**
     * The header section of {@code message}: for data still in the file it was received into, parsed from its first
     * bytes only (the body stays in the file, and {@link #applyTo} keeps it there); else from the whole data.
     */
    static HeaderBlock of(Message message) {
        SpilledData spilled = message.spilled();
        if (spilled != null) {
            try {
                for (int n = HEAD; n <= MAX_HEAD; n *= 4) {
                    byte[] head = spilled.head(n);
                    HeaderBlock block = parse(head);
                    // the header section ended within these bytes, at a whole line (or they are the whole data)
                    if (block.rest.indexOf('\n') >= 0 || head.length == spilled.size()) {
                        block.whole = spilled;
                        block.headLength = head.length;
                        return block;
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read the received data: " + e.getMessage(), e);
            }
        }
        return parse(message.data());
    }

    /** Makes these (edited) fields the message's headers, keeping the body where it is. */
    void applyTo(Message message) {
        if (whole != null && message.spilled() == whole) {
            message.setData(whole.replaceHead(headLength, toBytes()));
        } else {
            message.setData(toBytes());
        }
    }

    static HeaderBlock parse(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        String eol = text.contains("\r\n") || !text.contains("\n") ? "\r\n" : "\n";
        List<Field> fields = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int lineEnd = nl < 0 ? text.length() : nl + 1;
            String line = text.substring(pos, lineEnd);
            String bare = line.endsWith("\n") ? line.substring(0, line.length() - (line.endsWith("\r\n") ? 2 : 1)) : line;
            if (bare.isEmpty()) {
                break; // the blank line
            }
            boolean continuation = bare.charAt(0) == ' ' || bare.charAt(0) == '\t';
            int colon = bare.indexOf(':');
            if (continuation && !fields.isEmpty()) {
                Field last = fields.removeLast();
                fields.add(new Field(last.name(), last.raw() + line));
            } else if (colon > 0 && !continuation) {
                fields.add(new Field(bare.substring(0, colon).strip(), line));
            } else {
                break; // not a header line: the body starts here (no blank line)
            }
            pos = lineEnd;
        }
        String rest = text.substring(pos);
        // a last field without its line ending gets one, so that adding after it keeps both fields apart
        if (!fields.isEmpty() && !fields.getLast().raw().endsWith("\n")) {
            Field last = fields.removeLast();
            fields.add(new Field(last.name(), last.raw() + eol));
        }
        return new HeaderBlock(fields, eol, rest);
    }

    List<Field> fields() {
        return fields;
    }

    List<String> values(String name) {
        return fields.stream().filter(f -> f.named(name)).map(Field::value).toList();
    }

    /** {@code name: value} as a field; {@code value} is Lua's UTF-8 text. */
    Field field(String name, String value) {
        String utf8 = new String((name + ": " + value).getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        return new Field(name, utf8 + eol);
    }

    void prepend(Field f) {
        fields.addFirst(f);
    }

    void append(Field f) {
        fields.add(f);
    }

    /** Removes the fields whose name matches; returns how many. */
    int removeIf(java.util.function.Predicate<Field> which) {
        int before = fields.size();
        fields.removeIf(which);
        return before - fields.size();
    }

    String eol() {
        return eol;
    }

    byte[] toBytes() {
        StringBuilder out = new StringBuilder();
        fields.forEach(f -> out.append(f.raw()));
        // a message that had no body separator keeps having none only when it had no fields either
        if (rest.isEmpty() && !fields.isEmpty()) {
            out.append(eol);
        } else {
            out.append(rest);
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static final Pattern ENCODED_WORD =
            Pattern.compile("=\\?([^?*]+)(?:\\*[^?]*)?\\?([bBqQ])\\?([^?\\s]*)\\?=");

    /** Decodes RFC 2047 encoded words; a word with an unknown charset or bad encoding is left as it is. */
    static String decodeWords(String value) {
        if (!value.contains("=?")) {
            return value;
        }
        Matcher m = ENCODED_WORD.matcher(value);
        StringBuilder out = new StringBuilder();
        int last = 0;
        boolean previousWasWord = false;
        while (m.find()) {
            String between = value.substring(last, m.start());
            String decoded = decodeWord(m.group(1), m.group(2), m.group(3));
            if (decoded == null) {
                out.append(between).append(m.group());
                previousWasWord = false;
            } else {
                if (!(previousWasWord && between.isBlank())) {
                    out.append(between);
                }
                out.append(decoded);
                previousWasWord = true;
            }
            last = m.end();
        }
        return out.append(value.substring(last)).toString();
    }

    private static String decodeWord(String charsetName, String encoding, String text) {
        try {
            Charset charset = Charset.forName(charsetName);
            byte[] bytes;
            if (encoding.equalsIgnoreCase("b")) {
                bytes = Base64.getDecoder().decode(text);
            } else {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '_') {
                        buf.write(' ');
                    } else if (c == '=' && i + 2 < text.length()) {
                        buf.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                        i += 2;
                    } else if (c == '=') {
                        return null;
                    } else {
                        buf.write(c);
                    }
                }
                bytes = buf.toByteArray();
            }
            return new String(bytes, charset);
        } catch (IllegalArgumentException e) { // unknown charset, bad base64 or hex
            return null;
        }
    }

    static boolean isXHeader(String name) {
        return name.toLowerCase(Locale.ROOT).startsWith("x-");
    }
}
