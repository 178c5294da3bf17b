package dev.sluice.mta.policy;

import dev.sluice.mta.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code msg} object of the reception events, pushed to Lua as a Java object so that the policy calls
 * {@code msg:set_meta(k, v)}, {@code msg:get_meta(k)}, {@code msg:sender()}, {@code msg:recipient()},
 * {@code msg:get_first_named_header_value(name)}, {@code msg:append_header(name, value)},
 * {@code msg:set_data(s)} and {@code msg:id()}. The method names are Lua's, hence the underscores.
 * Used by one Lua state at a time (the event's), like the message it wraps.
 */
public final class LuaMessage {
    private final Message message;

    public LuaMessage(Message message) {
        this.message = message;
    }

    public Message message() {
        return message;
    }

    public String id() {
        return message.id().toString();
    }

    public String sender() {
        return message.sender();
    }

    public String recipient() {
        return message.recipient();
    }

    /** Lua numbers arrive as Double; integral ones are kept as Long so that meta reads back as Lua integers. */
    public void set_meta(String key, Object value) {
        message.setMeta(key, plain(value));
    }

    public Object get_meta(String key) {
        return message.meta(key);
    }

    /** The first header of that name (case-insensitive), unfolded; nil when absent. */
    public String get_first_named_header_value(String name) {
        String head = headerSection(message.dataAsString());
        String value = null;
        for (String line : head.split("\r?\n", -1)) {
            if (value != null) {
                if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                    value += " " + line.strip();
                    continue;
                }
                return value;
            }
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().toLowerCase(Locale.ROOT)
                    .equals(name.toLowerCase(Locale.ROOT))) {
                value = line.substring(colon + 1).strip();
            }
        }
        return value;
    }

    /** Adds {@code name: value} at the end of the header section. */
    public void append_header(String name, String value) {
        String text = message.dataAsString();
        int end = headerEnd(text);
        String eol = text.contains("\r\n") || text.isEmpty() ? "\r\n" : "\n";
        String field = name + ": " + value + eol;
        String out = end < 0 ? text + (text.isEmpty() || text.endsWith("\n") ? "" : eol) + field
                : text.substring(0, end) + field + text.substring(end);
        message.setData(out.getBytes(StandardCharsets.UTF_8));
    }

    public void set_data(String data) {
        message.setData(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String headerSection(String text) {
        int end = headerEnd(text);
        return end < 0 ? text : text.substring(0, end);
    }

    /** Offset of the blank line that ends the header section (the header section includes its last EOL), -1 if none. */
    private static int headerEnd(String text) {
        if (text.startsWith("\r\n")) {
            return 0;
        }
        if (text.startsWith("\n")) {
            return 0;
        }
        int crlf = text.indexOf("\r\n\r\n");
        int lf = text.indexOf("\n\n");
        if (crlf >= 0 && (lf < 0 || crlf < lf)) {
            return crlf + 2;
        }
        return lf >= 0 ? lf + 1 : -1;
    }

    static Object plain(Object value) {
        return switch (value) {
            case Double d when d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e15 -> d.longValue();
            case Float f -> plain(f.doubleValue());
            case Integer i -> i.longValue();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(plain(k)), plain(v)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                l.forEach(v -> out.add(plain(v)));
                yield out;
            }
            case null, default -> value;
        };
    }
}
