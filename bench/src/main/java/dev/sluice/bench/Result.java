package dev.sluice.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One "RESULT key=value ..." line the script parses. */
final class Result {

    private final Map<String, String> fields = new LinkedHashMap<>();

    Result put(String key, long value) {
        fields.put(key, Long.toString(value));
        return this;
    }

    Result put(String key, double value) {
        fields.put(key, String.format(Locale.ROOT, "%.6f", value));
        return this;
    }

    Result put(String key, String value) {
        fields.put(key, value.replace(' ', '_'));
        return this;
    }

    String get(String key) {
        return fields.get(key);
    }

    String line() {
        StringBuilder sb = new StringBuilder("RESULT");
        fields.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }
}
