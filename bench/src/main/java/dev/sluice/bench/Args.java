package dev.sluice.bench;

import java.util.HashMap;
import java.util.Map;

/** "--key value" command-line options with defaults; nothing clever. */
final class Args {

    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv, int from) {
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --key value, got '" + a + "'");
            }
            values.put(a.substring(2), argv[++i]);
        }
    }

    String string(String key, String dflt) {
        return values.getOrDefault(key, dflt);
    }

    int integer(String key, int dflt) {
        String v = values.get(key);
        return v == null ? dflt : Integer.parseInt(v);
    }

    double decimal(String key, double dflt) {
        String v = values.get(key);
        return v == null ? dflt : Double.parseDouble(v);
    }
}
