package dev.sluice.mta.ingress.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Writes header fields: RFC 2047 encoded words for non-ASCII text, quoting, and folding at 78 characters. */
final class HeaderEncoding {
    private HeaderEncoding() {}

    /** Room for the payload of one encoded word: 75 - len("=?UTF-8?B??=") = 63, as whole base64 quads: 45 bytes. */
    private static final int WORD_BYTES = 45;
    private static final int FOLD_AT = 78;
    /** Characters of a parameter value per RFC 2231 continuation line. */
    private static final int CONTINUATION = 50;

    /** {@code Name: value} with CRLF, for free text (Subject, X- headers). */
    static String unstructured(String name, String value) {
        requireSingleLine(name, value);
        String encoded = Syntax.isAscii(value) ? value : encodedWords(value);
        return fold(name + ": " + encoded) + "\r\n";
    }

    /** A mailbox for From/To/Reply-To: {@code Name <a@b>}, the name quoted or encoded as needed. */
    static String mailbox(String email, String displayName) {
        if (displayName == null || displayName.isBlank()) {
            return email;
        }
        requireSingleLine("display name", displayName);
        return phrase(displayName) + " <" + email + ">";
    }

    /** An address header whose value was built with {@link #mailbox}. */
    static String address(String name, String value) {
        requireSingleLine(name, value);
        return fold(name + ": " + value) + "\r\n";
    }

    static String phrase(String text) {
        if (!Syntax.isAscii(text)) {
            return encodedWords(text);
        }
        if (text.chars().allMatch(c -> isAtext(c) || c == ' ') && !text.startsWith(" ") && !text.endsWith(" ")) {
            return text;
        }
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static boolean isAtext(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    /** The whole text as UTF-8 B encoded words, never splitting a character, separated by folding white space. */
    static String encodedWords(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder chunk = new StringBuilder();
        int chunkBytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            int n = ch.getBytes(StandardCharsets.UTF_8).length;
            if (chunkBytes + n > WORD_BYTES) {
                words.add(word(chunk.toString()));
                chunk.setLength(0);
                chunkBytes = 0;
            }
            chunk.append(ch);
            chunkBytes += n;
            i += Character.charCount(cp);
        }
        if (!chunk.isEmpty() || words.isEmpty()) {
            words.add(word(chunk.toString()));
        }
        return String.join("\r\n ", words);
    }

    private static String word(String s) {
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    /**
     * Folds a header line longer than 78 characters before white space (RFC 5322 2.2.3). Lines already broken
     * (encoded words joined by CRLF SP) are folded piece by piece. A run without white space stays long.
     */
    static String fold(String field) {
        StringBuilder out = new StringBuilder(field.length() + 16);
        // Never fold right after "Name:": some parsers then keep the folding white space in the value.
        int minCut = field.indexOf(':') + 2;
        for (String piece : field.split("\r\n", -1)) {
            if (!out.isEmpty()) {
                out.append("\r\n");
                minCut = 1;
            }
            String rest = piece;
            while (rest.length() > FOLD_AT) {
                int cut = lastBlank(rest, FOLD_AT, minCut);
                minCut = 1;
                if (cut < 0) {
                    cut = nextBlank(rest, FOLD_AT);
                    if (cut < 0) {
                        break;
                    }
                }
                out.append(rest, 0, cut).append("\r\n");
                rest = rest.substring(cut);
            }
            out.append(rest);
        }
        return out.toString();
    }

    private static int lastBlank(String s, int before, int min) {
        for (int i = Math.min(before, s.length() - 1); i >= Math.max(min, 1); i--) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t') {
                return i;
            }
        }
        return -1;
    }

    private static int nextBlank(String s, int from) {
        for (int i = Math.max(from, 1); i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t') {
                return i;
            }
        }
        return -1;
    }

    /** MIME parameter {@code name="value"}, or RFC 2231 {@code name*=UTF-8''...} for non-ASCII values. */
    static String parameter(String name, String value) {
        boolean plain = Syntax.isAscii(value) && value.chars().noneMatch(c -> c < 32 || c == 127);
        List<String> tokens = new ArrayList<>(); // quoted characters, or %XX-encoded bytes: never split
        if (plain) {
            value.chars().forEach(c -> tokens.add(c == '\\' || c == '"' ? "\\" + (char) c : String.valueOf((char) c)));
        } else {
            for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xff;
                tokens.add(c > 32 && c < 127 && "*'%()<>@,;:\\\"/[]?= ".indexOf(c) < 0 ? String.valueOf((char) c)
                        : "%" + Character.toUpperCase(Character.forDigit(c >> 4, 16))
                                + Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        String whole = plain ? name + "=\"" + String.join("", tokens) + "\""
                : name + "*=UTF-8''" + String.join("", tokens);
        if (whole.length() <= FOLD_AT) {
            return whole;
        }
        // RFC 2231 section 3: continuations, one per folded line, so that no line passes 998 octets
        List<String> segments = new ArrayList<>();
        StringBuilder segment = new StringBuilder();
        for (String t : tokens) {
            if (segment.length() + t.length() > CONTINUATION) {
                segments.add(segment.toString());
                segment.setLength(0);
            }
            segment.append(t);
        }
        segments.add(segment.toString());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            if (i > 0) {
                out.append(";\r\n\t");
            }
            out.append(name).append('*').append(i);
            if (plain) {
                out.append("=\"").append(segments.get(i)).append('"');
            } else {
                out.append("*=").append(i == 0 ? "UTF-8''" : "").append(segments.get(i));
            }
        }
        return out.toString();
    }

    private static void requireSingleLine(String name, String value) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("header " + name + ": value contains a line break");
        }
    }
}
