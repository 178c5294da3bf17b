package dev.sluice.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the {@code kumo.a.b} references in Lua source text, with their lines, skipping comments and strings: what
 * {@code sluice check} looks up to report a name Sluice lacks even where it sits in code that check does not run.
 * A lexer of Lua's tokens, not a parser: {@code kumo} is taken to be the module wherever it starts an expression
 * (not after {@code .} or {@code :}).
 */
public final class LuaReferences {
    /** {@code kumo.path} (without the leading {@code kumo.}) used at {@code line}. */
    public record Reference(String path, int line) {}

    private final String s;
    private int i;
    private int line = 1;

    private LuaReferences(String source) {
        this.s = source;
    }

    /** The references in {@code source}, in order. */
    public static List<Reference> scan(String source) {
        return new LuaReferences(source).run();
    }

    private List<Reference> run() {
        var found = new ArrayList<Reference>();
        char previous = ' '; // the last significant token, when it was one character of punctuation
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
                i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && at("--")) {
                i += 2;
                int level = longBracket();
                if (level >= 0) {
                    skipLong(level);
                } else {
                    while (i < s.length() && s.charAt(i) != '\n') {
                        i++;
                    }
                }
            } else if (c == '\'' || c == '"') {
                skipQuoted(c);
                previous = 's';
            } else if (c == '[' && longBracket() >= 0) {
                skipLong(longBracket());
                previous = 's';
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                String name = name();
                if (name.equals("kumo") && previous != '.' && previous != ':') {
                    int refLine = line;
                    var path = new StringBuilder();
                    while (true) {
                        int save = i;
                        int saveLine = line;
                        skipSpace();
                        if (i + 1 < s.length() && s.charAt(i) == '.' && s.charAt(i + 1) != '.') {
                            i++;
                            skipSpace();
                            if (i < s.length() && (Character.isLetter(s.charAt(i)) || s.charAt(i) == '_')) {
                                path.append(path.isEmpty() ? "" : ".").append(name());
                                continue;
                            }
                        }
                        i = save;
                        line = saveLine;
                        break;
                    }
                    if (!path.isEmpty()) {
                        found.add(new Reference(path.toString(), refLine));
                    }
                }
                previous = start == i ? ' ' : 'n';
            } else if (Character.isDigit(c)) {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.'
                        || ((s.charAt(i) == '+' || s.charAt(i) == '-') && "eEpP".indexOf(s.charAt(i - 1)) >= 0))) {
                    i++;
                }
                previous = 'n';
            } else {
                previous = at("..") ? ',' : c; // concatenation is not a field access
                i += at("...") ? 3 : at("..") ? 2 : 1;
            }
        }
        return found;
    }

    private boolean at(String token) {
        return s.startsWith(token, i);
    }

    private String name() {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        return s.substring(start, i);
    }

    private void skipSpace() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            if (s.charAt(i) == '\n') {
                line++;
            }
            i++;
        }
    }

    /** At {@code [[} or {@code [==[}: the number of {@code =}; else -1. */
    private int longBracket() {
        if (i >= s.length() || s.charAt(i) != '[') {
            return -1;
        }
        int j = i + 1;
        while (j < s.length() && s.charAt(j) == '=') {
            j++;
        }
        return j < s.length() && s.charAt(j) == '[' ? j - i - 1 : -1;
    }

    private void skipLong(int level) {
        String close = "]" + "=".repeat(level) + "]";
        i += level + 2;
        int end = s.indexOf(close, i);
        end = end < 0 ? s.length() : end + close.length();
        countLines(i, end);
        i = end;
    }

    private void skipQuoted(char quote) {
        int start = i++;
        while (i < s.length() && s.charAt(i) != quote && s.charAt(i) != '\n') {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        i = Math.min(i + 1, s.length());
        countLines(start, i);
    }

    private void countLines(int from, int to) {
        for (int k = from; k < to; k++) {
            if (s.charAt(k) == '\n') {
                line++;
            }
        }
    }
}
