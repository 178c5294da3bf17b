package dev.sluice.policy.kumo.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.policy.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a tree as a TOML document laid out as KumoMTA's (Rust toml crate) output is: plain values
 * first, then one {@code [a.b]} section per nested table (a table holding only tables gets no header
 * of its own), then {@code [[a.b]]} for arrays of tables. {@code pretty} puts array items one per line;
 * {@code compact} writes empty tables inline ({@code key = {}}) instead of as an empty section.
 * Keys come sorted (the tree is built sorted).
 */
final class TomlWriter {
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private final boolean pretty;
    private final boolean compact;
    private final StringBuilder out = new StringBuilder();

    private TomlWriter(boolean pretty, boolean compact) {
        this.pretty = pretty;
        this.compact = compact;
    }

    static String write(JsonNode root, boolean pretty, boolean compact) {
        if (!root.isObject()) {
            throw new ConfigException("kumo.serde.toml_encode: only a table with string keys can be a TOML document");
        }
        TomlWriter w = new TomlWriter(pretty, compact);
        w.table(List.of(), root, true);
        return w.out.toString();
    }

    private static boolean isArrayOfTables(JsonNode v) {
        if (!v.isArray() || v.isEmpty()) {
            return false;
        }
        for (JsonNode item : v) {
            if (!item.isObject()) {
                return false;
            }
        }
        return true;
    }

    private boolean isSection(JsonNode v) {
        return v.isObject() && !(compact && v.isEmpty());
    }

    private void table(List<String> path, JsonNode table, boolean root) {
        List<Map.Entry<String, JsonNode>> plain = new ArrayList<>();
        List<Map.Entry<String, JsonNode>> tables = new ArrayList<>();
        List<Map.Entry<String, JsonNode>> arrays = new ArrayList<>();
        table.properties().forEach(e -> {
            if (isSection(e.getValue())) {
                tables.add(e);
            } else if (isArrayOfTables(e.getValue())) {
                arrays.add(e);
            } else {
                plain.add(e);
            }
        });
        boolean header = !root && (!plain.isEmpty() || (tables.isEmpty() && arrays.isEmpty()));
        if (header) {
            separate();
            out.append('[').append(dotted(path)).append("]\n");
        }
        for (Map.Entry<String, JsonNode> e : plain) {
            out.append(key(e.getKey())).append(" = ");
            value(e.getValue(), 0);
            out.append('\n');
        }
        for (Map.Entry<String, JsonNode> e : tables) {
            table(append(path, e.getKey()), e.getValue(), false);
        }
        for (Map.Entry<String, JsonNode> e : arrays) {
            List<String> sub = append(path, e.getKey());
            for (JsonNode item : e.getValue()) {
                separate();
                out.append("[[").append(dotted(sub)).append("]]\n");
                table(sub, item, true);
            }
        }
    }

    private void separate() {
        if (!out.isEmpty() && !out.toString().endsWith("\n\n")) {
            out.append('\n');
        }
    }

    private static List<String> append(List<String> path, String key) {
        List<String> p = new ArrayList<>(path);
        p.add(key);
        return p;
    }

    private static String dotted(List<String> path) {
        return String.join(".", path.stream().map(TomlWriter::key).toList());
    }

    private static String key(String k) {
        return BARE_KEY.matcher(k).matches() ? k : quote(k);
    }

    private void value(JsonNode v, int depth) {
        if (v.isTextual()) {
            out.append(quote(v.textValue()));
        } else if (v.isBoolean()) {
            out.append(v.booleanValue());
        } else if (v.isIntegralNumber()) {
            out.append(v.asText());
        } else if (v.isNumber()) {
            out.append(floatText(v.doubleValue()));
        } else if (v.isArray()) {
            array(v, depth);
        } else if (v.isObject()) {
            out.append('{');
            boolean first = true;
            for (var it = v.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                out.append(first ? " " : ", ").append(key(e.getKey())).append(" = ");
                value(e.getValue(), depth + 1);
                first = false;
            }
            out.append(first ? "}" : " }");
        } else {
            throw new ConfigException("kumo.serde.toml_encode: TOML cannot represent nil inside an array");
        }
    }

    private void array(JsonNode v, int depth) {
        if (v.isEmpty()) {
            out.append("[]");
            return;
        }
        if (pretty && depth == 0) {
            out.append("[\n");
            for (JsonNode item : v) {
                out.append("    ");
                value(item, depth + 1);
                out.append(",\n");
            }
            out.append(']');
            return;
        }
        out.append('[');
        boolean first = true;
        for (JsonNode item : v) {
            if (!first) {
                out.append(", ");
            }
            value(item, depth + 1);
            first = false;
        }
        out.append(']');
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return String.format(java.util.Locale.ROOT, "%.1f", d);
        }
        return Double.toString(d).replace("E", "e");
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
