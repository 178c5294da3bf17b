package dev.sluice.mta.policy;

import java.nio.charset.StandardCharsets;

/**
 * The {@code encode = true} form of {@code msg:prepend_header}/{@code append_header}: an ASCII value is folded at
 * white space near 75 columns (and hard-folded at 900); a non-ASCII value becomes RFC 2047 Q-encoded words
 * ({@code =?UTF-8?q?...?=}), each within 75 characters, separated by folding white space.
 */
final class HeaderEncoding {
    private static final int SOFT = 75;
    private static final int HARD = 900;

    private HeaderEncoding() {}

    static String encode(String name, String value, String eol) {
        boolean ascii = value.chars().allMatch(c -> c < 128 && c != '\r' && c != '\n');
        return ascii ? fold(name.length() + 2, value, eol) : encodedWords(name.length() + 2, value, eol);
    }

    private static String fold(int used, String value, String eol) {
        StringBuilder out = new StringBuilder();
        int column = used;
        for (String word : value.split(" ", -1)) {
            if (out.length() > 0 || column > used) {
                if (column + 1 + word.length() > SOFT && column > 1) {
                    out.append(eol).append('\t');
                    column = 1;
                } else {
                    out.append(' ');
                    column++;
                }
            }
            while (column + word.length() > HARD) {
                int take = HARD - column;
                out.append(word, 0, take).append(eol).append('\t');
                word = word.substring(take);
                column = 1;
            }
            out.append(word);
            column += word.length();
        }
        return out.toString();
    }

    /** Encoded words; the first line also holds the field name ({@code used} columns), so its word is shorter. */
    private static String encodedWords(int used, String value, String eol) {
        final String prefix = "=?UTF-8?q?";
        final int full = SOFT - prefix.length() - 2;
        int room = Math.max(12, full - used);
        StringBuilder out = new StringBuilder();
        StringBuilder word = new StringBuilder();
        int i = 0;
        while (i < value.length()) {
            int cp = value.codePointAt(i);
            String piece = q(new String(Character.toChars(cp)));
            if (word.length() + piece.length() > room && !word.isEmpty()) {
                out.append(out.isEmpty() ? "" : eol + " ").append(prefix).append(word).append("?=");
                word.setLength(0);
                room = full - 1; // a continuation line starts with one space
            }
            word.append(piece);
            i += Character.charCount(cp);
        }
        out.append(out.isEmpty() ? "" : eol + " ").append(prefix).append(word).append("?=");
        return out.toString();
    }

    private static String q(String ch) {
        StringBuilder out = new StringBuilder();
        for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
            int v = b & 0xff;
            if (v == ' ') {
                out.append('_');
            } else if (v > 32 && v < 127 && v != '=' && v != '?' && v != '_' && v != '"') {
                out.append((char) v);
            } else {
                out.append('=').append(String.format("%02X", v));
            }
        }
        return out.toString();
    }
}
