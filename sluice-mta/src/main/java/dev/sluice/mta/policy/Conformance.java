package dev.sluice.mta.policy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code msg:check_fix_conformance(checks, fixes)}: KumoMTA's named RFC 5322 / MIME conformance issues, found in the
 * message data and either reported or fixed. Works on the bytes as ISO-8859-1 text (one char per byte).
 *
 * <p>Unlike KumoMTA, which rebuilds the whole MIME tree when it fixes anything but a missing header, the fixes here
 * touch only what is wrong: line endings, the offending header fields (folded, RFC 2047-encoded, colon repaired) and
 * the leaf parts whose body needs a transfer encoding; every other byte of the message stays as it was.
 */
final class Conformance {
    /** KumoMTA's issue names, in KumoMTA's order (the order of the names in a report). */
    enum Issue {
        MISSING_COLON_VALUE,
        NON_CANONICAL_LINE_ENDINGS,
        NAME_ENDS_WITH_SPACE,
        LINE_TOO_LONG,
        NEEDS_TRANSFER_ENCODING,
        MISSING_DATE_HEADER,
        MISSING_MESSAGE_ID_HEADER,
        MISSING_MIME_VERSION,
        INVALID_MIME_HEADERS
    }

    /** RFC 5322 2.1.1: a line SHOULD be no more than 78 characters, excluding the CRLF. */
    static final int MAX_LINE = 78;
    private static final Set<String> ENCODINGS = Set.of("7bit", "8bit", "binary", "quoted-printable", "base64");
    private static final Set<String> ADDRESS_HEADERS = Set.of("from", "to", "cc", "bcc", "reply-to", "sender",
            "resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender");
    private static final Pattern CONTENT_TYPE = Pattern.compile("\\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/([!#$%&'*+.^_`|~0-9A-Za-z-]+)\\s*(;.*)?", Pattern.DOTALL);
    private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary\\s*=\\s*(\"([^\"]*)\"|[^;\\s]+)");
    private static final Pattern CHARSET = Pattern.compile("(?i);\\s*charset\\s*=");

    private Conformance() {}

    /** {@code "A|B"} (empty for none) as a set; an unknown name is an error listing the known ones. */
    static EnumSet<Issue> parse(String flags) {
        EnumSet<Issue> out = EnumSet.noneOf(Issue.class);
        for (String name : flags.split("\\|")) {
            if (name.isBlank()) {
                continue;
            }
            try {
                out.add(Issue.valueOf(name.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid conformance flag '" + name.strip() + "', possible values are "
                        + Arrays.stream(Issue.values()).map(i -> "'" + i + "'").sorted().collect(Collectors.joining(", ")));
            }
        }
        return out;
    }

    static String names(Set<Issue> issues) {
        return issues.stream().sorted().map(Enum::name).collect(Collectors.joining("|"));
    }

    // ---- finding issues -------------------------------------------------------------------------------------

    /** Every issue of {@code data}. */
    static EnumSet<Issue> find(byte[] data) {
        EnumSet<Issue> found = EnumSet.noneOf(Issue.class);
        String text = new String(data, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < data.length; i++) {
            if (data[i] < 0) {
                found.add(Issue.NEEDS_TRANSFER_ENCODING);
            } else if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')
                    || data[i] == '\r' && (i + 1 == data.length || data[i + 1] != '\n')) {
                found.add(Issue.NON_CANONICAL_LINE_ENDINGS);
            }
        }
        Part top = Part.parse(text);
        findIn(top, found);
        if (top.values("Date").stream().noneMatch(Conformance::isDate)) {
            found.add(Issue.MISSING_DATE_HEADER);
        }
        if (top.values("Message-ID").stream().noneMatch(v -> v.matches("(?s)\\s*<[^<>@\\s]+@[^<>\\s]+>\\s*"))) {
            found.add(Issue.MISSING_MESSAGE_ID_HEADER);
        }
        List<String> mime = top.values("MIME-Version");
        if (mime.size() != 1 || !mime.getFirst().replaceAll("\\([^)]*\\)", "").strip().equals("1.0")) {
            found.add(Issue.MISSING_MIME_VERSION);
        }
        return found;
    }

    private static void findIn(Part part, EnumSet<Issue> found) {
        for (String field : part.fields) {
            String first = field.lines().findFirst().orElse("");
            int colon = first.indexOf(':');
            if (colon < 0) {
                found.add(Issue.MISSING_COLON_VALUE);
            } else if (colon > 0 && (first.charAt(colon - 1) == ' ' || first.charAt(colon - 1) == '\t')) {
                found.add(Issue.NAME_ENDS_WITH_SPACE);
            }
            if (tooLong(field)) {
                found.add(Issue.LINE_TOO_LONG);
            }
        }
        part.values("Content-Type").forEach(v -> {
            if (!CONTENT_TYPE.matcher(v).matches()) {
                found.add(Issue.INVALID_MIME_HEADERS);
            }
        });
        part.values("Content-Transfer-Encoding").forEach(v -> {
            if (!ENCODINGS.contains(v.strip().toLowerCase(Locale.ROOT))) {
                found.add(Issue.INVALID_MIME_HEADERS);
            }
        });
        Multipart multipart = part.multipart();
        if (multipart == null) {
            if (tooLong(part.body)) {
                found.add(Issue.LINE_TOO_LONG);
            }
        } else {
            multipart.parts().forEach(c -> findIn(c, found));
        }
    }

    private static boolean tooLong(String text) {
        return text.lines().anyMatch(l -> l.length() > MAX_LINE);
    }

    private static final DateTimeFormatter RFC_5322 = DateTimeFormatter.RFC_1123_DATE_TIME;
    /** What a new Date field says: {@code Sun, 6 Dec 2026 09:00:00 +0000}. */
    private static final DateTimeFormatter DATE_FIELD = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH);

    /**
     * An RFC 5322 date-time: comments and extra white space allowed; the day of the week optional and not held
     * against the date (a wrong one is a sender's slip, not a missing Date); zone {@code +hhmm} or {@code GMT}.
     */
    static boolean isDate(String value) {
        String v = value.replaceAll("\\([^)]*\\)", " ").replaceAll("\\s+", " ").strip().replaceFirst("^[A-Za-z]+, ?", "");
        try {
            ZonedDateTime.parse(v, RFC_5322);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    // ---- fixing ---------------------------------------------------------------------------------------------

    /**
     * {@code data} with {@code issues} fixed: line endings made CRLF; header names repaired; long header lines
     * folded and 8-bit header values RFC 2047-encoded; leaf parts with long lines or 8-bit content given a
     * quoted-printable (text) or base64 (other) transfer encoding; Date, Message-ID ({@code messageId}, without
     * the angle brackets) and MIME-Version set.
     */
    static byte[] fix(byte[] data, Set<Issue> issues, String messageId, ZonedDateTime now) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        if (issues.contains(Issue.NON_CANONICAL_LINE_ENDINGS)) {
            text = text.replaceAll("\r\n|\r|\n", "\r\n");
        }
        Part top = Part.parse(text);
        boolean encoded = fixPart(top, issues);
        if (issues.contains(Issue.MISSING_DATE_HEADER)) {
            top.set("Date", now.format(DATE_FIELD));
        }
        if (issues.contains(Issue.MISSING_MESSAGE_ID_HEADER)) {
            top.set("Message-ID", "<" + messageId + ">");
        }
        if (issues.contains(Issue.MISSING_MIME_VERSION) || encoded && top.values("MIME-Version").isEmpty()) {
            top.set("MIME-Version", "1.0");
        }
        return top.render().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Fixes the part's fields and body (recursively); true when a body was given a transfer encoding. */
    private static boolean fixPart(Part part, Set<Issue> issues) {
        boolean encodeBodies = issues.contains(Issue.LINE_TOO_LONG) || issues.contains(Issue.NEEDS_TRANSFER_ENCODING);
        for (int i = 0; i < part.fields.size(); i++) {
            part.fields.set(i, fixField(part.fields.get(i), part.eol, issues));
        }
        Multipart multipart = part.multipart();
        if (multipart != null) {
            boolean any = false;
            for (Part child : multipart.parts()) {
                any |= fixPart(child, issues);
            }
            part.body = multipart.render();
            return any;
        }
        if (!encodeBodies || !(tooLong(part.body) || !isAscii(part.body))) {
            return false;
        }
        return encodeLeaf(part);
    }

    private static String fixField(String field, String eol, Set<Issue> issues) {
        int colon = field.indexOf(':');
        String first = field.lines().findFirst().orElse("");
        if (first.indexOf(':') < 0) {
            if (!issues.contains(Issue.MISSING_COLON_VALUE)) {
                return field;
            }
            return first.stripTrailing() + ":" + field.substring(first.length());
        }
        String name = field.substring(0, colon);
        if (issues.contains(Issue.NAME_ENDS_WITH_SPACE)) {
            name = name.stripTrailing();
        }
        String rest = field.substring(colon + 1);
        boolean eight = !isAscii(rest) && issues.contains(Issue.NEEDS_TRANSFER_ENCODING);
        boolean longLine = tooLong(field) && issues.contains(Issue.LINE_TOO_LONG);
        if (!eight && !longLine) {
            return name + ":" + rest;
        }
        String value = new String(rest.strip().replaceAll("[ \\t]*\\r?\\n[ \\t]*", " ")
                .getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        String encoded;
        if (eight && ADDRESS_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            encoded = encodeAddresses(name, value, eol);
        } else {
            encoded = HeaderEncoding.encode(name, value, eol);
        }
        return name + ": " + new String(encoded.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1) + eol;
    }

    /** An address list with 8-bit display names: each name as encoded words, the addresses as they were. */
    private static String encodeAddresses(String name, String value, String eol) {
        List<AddressHeader.Mailbox> list;
        try {
            list = AddressHeader.parse(value).list();
        } catch (RuntimeException e) {
            return HeaderEncoding.encode(name, value, eol);
        }
        if (list.isEmpty() || list.stream().anyMatch(m -> !isAscii(m.email()))) {
            return value; // an internationalized address cannot be encoded; it needs SMTPUTF8
        }
        return list.stream().map(m -> m.name() == null || m.name().isEmpty() ? m.email()
                        : (isAscii(m.name()) ? "\"" + m.name().replace("\"", "\\\"") + "\"" : HeaderEncoding.encode(name, m.name(), eol))
                        + " <" + m.email() + ">")
                .collect(Collectors.joining("," + eol + " "));
    }

    /** Gives a leaf part a transfer encoding; false when it cannot take one (message/*, multipart without boundary). */
    private static boolean encodeLeaf(Part part) {
        String type = part.values("Content-Type").stream().findFirst().orElse("text/plain");
        Matcher ct = CONTENT_TYPE.matcher(type);
        String major = ct.matches() ? ct.group(1).toLowerCase(Locale.ROOT) : "text";
        if (major.equals("message") || major.equals("multipart")) {
            return false; // RFC 2046 5.2.1: only 7bit, 8bit or binary
        }
        String cte = part.values("Content-Transfer-Encoding").stream().findFirst().orElse("7bit").strip().toLowerCase(Locale.ROOT);
        byte[] raw = part.body.getBytes(StandardCharsets.ISO_8859_1);
        byte[] content = switch (cte) {
            case "base64" -> {
                try {
                    yield Base64.getMimeDecoder().decode(raw);
                } catch (IllegalArgumentException e) {
                    yield null;
                }
            }
            case "quoted-printable" -> decodeQuotedPrintable(part.body);
            default -> raw;
        };
        if (content == null) {
            return false;
        }
        String body;
        String encoding;
        if (major.equals("text")) {
            body = encodeQuotedPrintable(content, part.eol);
            encoding = "quoted-printable";
            if (!isAscii(part.body) && !CHARSET.matcher(type).find() && isUtf8(content)) {
                part.set("Content-Type", (ct.matches() ? type.strip() : "text/plain") + "; charset=utf-8");
            }
        } else {
            body = Base64.getMimeEncoder(76, part.eol.getBytes(StandardCharsets.ISO_8859_1)).encodeToString(content) + part.eol;
            encoding = "base64";
        }
        part.set("Content-Transfer-Encoding", encoding);
        part.body = body;
        return true;
    }

    static String encodeQuotedPrintable(byte[] content, String eol) {
        StringBuilder out = new StringBuilder(content.length + content.length / 8);
        String text = new String(content, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n|\n", -1);
        for (int li = 0; li < lines.length; li++) {
            String line = lines[li];
            int column = 0;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                boolean last = i == line.length() - 1;
                String piece = c == '=' || c > 126 || (c < 32 && c != '\t') || ((c == ' ' || c == '\t') && last)
                        ? String.format("=%02X", (int) c) : String.valueOf(c);
                if (column + piece.length() > 75) { // room for the soft break's '=' within 76
                    out.append('=').append(eol);
                    column = 0;
                }
                out.append(piece);
                column += piece.length();
            }
            if (li < lines.length - 1) {
                out.append(eol);
            }
        }
        return out.toString();
    }

    static byte[] decodeQuotedPrintable(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '=') {
                out.write(c);
            } else if (text.startsWith("\r\n", i + 1)) {
                i += 2;
            } else if (text.startsWith("\n", i + 1)) {
                i += 1;
            } else if (i + 2 < text.length() && Character.digit(text.charAt(i + 1), 16) >= 0
                    && Character.digit(text.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 128);
    }

    private static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** A multipart body: what comes before the first delimiter, each delimiter line, the parts, what follows the end. */
    private record Multipart(String preamble, List<String> delimiters, List<Part> parts, String epilogue) {
        String render() {
            StringBuilder out = new StringBuilder(preamble);
            for (int i = 0; i < parts.size(); i++) {
                out.append(delimiters.get(i)).append(parts.get(i).render());
            }
            return out.append(delimiters.getLast()).append(epilogue).toString();
        }
    }

    /**
     * One MIME entity: its header fields (raw, each with its folding and line ending), the blank line and the
     * body. The header section ends at the first empty line (a line without a colon before it is a field missing
     * its colon, as KumoMTA reads it).
     */
    private static final class Part {
        final List<String> fields;
        final String separator;
        final String eol;
        String body;

        private Part(List<String> fields, String separator, String eol, String body) {
            this.fields = fields;
            this.separator = separator;
            this.eol = eol;
            this.body = body;
        }

        static Part parse(String text) {
            String eol = text.contains("\r\n") || !text.contains("\n") ? "\r\n" : "\n";
            List<String> fields = new ArrayList<>();
            int pos = 0;
            String separator = "";
            while (pos < text.length()) {
                int nl = text.indexOf('\n', pos);
                int end = nl < 0 ? text.length() : nl + 1;
                String line = text.substring(pos, end);
                if (line.equals("\r\n") || line.equals("\n")) {
                    separator = line;
                    pos = end;
                    break;
                }
                if ((line.startsWith(" ") || line.startsWith("\t")) && !fields.isEmpty()) {
                    fields.add(fields.removeLast() + line);
                } else {
                    fields.add(line);
                }
                pos = end;
            }
            return new Part(fields, separator, eol, text.substring(pos));
        }

        /** The unfolded values of the fields named {@code name}. */
        List<String> values(String name) {
            List<String> out = new ArrayList<>();
            for (String f : fields) {
                int colon = f.indexOf(':');
                if (colon > 0 && f.substring(0, colon).strip().equalsIgnoreCase(name)) {
                    out.add(f.substring(colon + 1).replaceAll("\\r?\\n", "").strip());
                }
            }
            return out;
        }

        /** Replaces the first field named {@code name} (removing the others) or appends one. */
        void set(String name, String value) {
            String field = name + ": " + value + eol;
            boolean placed = false;
            for (int i = 0; i < fields.size(); i++) {
                int colon = fields.get(i).indexOf(':');
                if (colon > 0 && fields.get(i).substring(0, colon).strip().equalsIgnoreCase(name)) {
                    if (placed) {
                        fields.remove(i--);
                    } else {
                        fields.set(i, field);
                        placed = true;
                    }
                }
            }
            if (!placed) {
                if (!fields.isEmpty() && !fields.getLast().endsWith("\n")) {
                    fields.add(fields.removeLast() + eol);
                }
                fields.add(field);
            }
        }

        /** The body as a multipart (preamble, delimiter lines, parts, epilogue), or null for a leaf. */
        Multipart multipart() {
            String boundary = values("Content-Type").stream().findFirst()
                    .filter(t -> t.strip().toLowerCase(Locale.ROOT).startsWith("multipart/"))
                    .map(BOUNDARY::matcher).filter(Matcher::find)
                    .map(m -> m.group(2) != null ? m.group(2) : m.group(1)).orElse(null);
            if (boundary == null) {
                return null;
            }
            Matcher m = Pattern.compile("(?m)^--" + Pattern.quote(boundary) + "(--)?[ \\t]*(\\r?\\n|$)").matcher(body);
            List<String> chunks = new ArrayList<>();
            List<String> delimiters = new ArrayList<>();
            int last = 0;
            while (m.find()) {
                // the line break before a delimiter line belongs to the delimiter (RFC 2046 5.1.1)
                int start = m.start();
                int cut = body.startsWith("\r\n", start - 2) ? start - 2 : body.startsWith("\n", start - 1) ? start - 1 : start;
                cut = Math.max(last, cut);
                chunks.add(body.substring(last, cut));
                delimiters.add(body.substring(cut, m.end()));
                last = m.end();
                if (m.group(1) != null) {
                    List<Part> parts = chunks.subList(1, chunks.size()).stream().map(Part::parse).toList();
                    return new Multipart(chunks.getFirst(), delimiters, parts, body.substring(last));
                }
            }
            return null; // never closed: treated as one leaf
        }

        String render() {
            StringBuilder out = new StringBuilder();
            fields.forEach(out::append);
            if (separator.isEmpty() && !fields.isEmpty() && !body.isEmpty()) {
                out.append(eol);
            } else {
                out.append(separator);
            }
            return out.append(body).toString();
        }
    }
}
