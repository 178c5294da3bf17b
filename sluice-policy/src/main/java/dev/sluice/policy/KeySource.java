package dev.sluice.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where key material (TLS certificates, private keys) comes from, in KumoMTA's KeySource forms:
 * a plain string is a file path, {@code {key_data = '...'}} is the data itself. The HashiCorp Vault
 * form ({@code vault_mount}/{@code vault_path}) and the event form ({@code event_name}) are recognised
 * and rejected as not implemented.
 */
public sealed interface KeySource {
    byte[] load() throws IOException;

    record File(Path path) implements KeySource {
        @Override
        public byte[] load() throws IOException {
            return Files.readAllBytes(path);
        }
    }

    record Inline(byte[] data) implements KeySource {
        public Inline {
            data = data.clone();
        }

        @Override
        public byte[] load() {
            return data.clone();
        }

        @Override
        public String toString() {
            return "Inline[" + data.length + " bytes]";
        }
    }

    public static KeySource from(Object value) {
        if (value instanceof String path) {
            try {
                return new File(Path.of(path));
            } catch (java.nio.file.InvalidPathException e) {
                throw new ConfigException("invalid key source path '" + path.replace("\0", "\\0") + "': " + e.getReason());
            }
        }
        if (value instanceof Map<?, ?> map) {
            if (map.get("key_data") instanceof String data) {
                return new Inline(data.getBytes(StandardCharsets.UTF_8));
            }
            if (map.get("key_data") instanceof LuaBytes data) { // binary, such as a DER key
                return new Inline(data.bytes());
            }
            if (map.containsKey("vault_mount") || map.containsKey("vault_path")) {
                throw new ConfigException("key source {vault_mount, vault_path} (HashiCorp Vault) is not implemented");
            }
            if (map.containsKey("event_name")) {
                throw new ConfigException("key source {event_name = '" + map.get("event_name") + "'} is not implemented");
            }
        }
        throw new ConfigException("invalid key source " + describe(value)
                + ": expected a file path or a table {key_data = '...'}");
    }

    private static String describe(Object value) {
        return value instanceof Map<?, ?> m ? "table with keys " + m.keySet() : String.valueOf(value);
    }
}
