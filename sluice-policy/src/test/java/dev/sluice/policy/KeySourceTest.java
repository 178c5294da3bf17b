package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeySourceTest {
    @TempDir
    Path dir;

    @Test
    void plainStringIsAFilePath() throws Exception {
        Path pem = dir.resolve("cert.pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n");
        KeySource source = KeySource.from(pem.toString());
        assertThat(source).isEqualTo(new KeySource.File(pem));
        assertThat(new String(source.load(), StandardCharsets.UTF_8)).isEqualTo("-----BEGIN CERTIFICATE-----\n");
    }

    @Test
    void keyDataIsInline() throws Exception {
        KeySource source = KeySource.from(Map.of("key_data", "secret-bytes"));
        assertThat(source).isInstanceOf(KeySource.Inline.class);
        assertThat(source.load()).isEqualTo("secret-bytes".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void vaultAndEventFormsAreRecognisedButNotImplemented() {
        assertThatThrownBy(() -> KeySource.from(Map.of("vault_mount", "secret", "vault_path", "tls/key")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Vault").hasMessageEndingWith("is not implemented");
        assertThatThrownBy(() -> KeySource.from(Map.of("event_name", "get_key")))
                .hasMessage("key source {event_name = 'get_key'} is not implemented");
    }

    @Test
    void otherShapesAreRejected() {
        assertThatThrownBy(() -> KeySource.from(42L)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected a file path or a table {key_data = '...'}");
        assertThatThrownBy(() -> KeySource.from(Map.of("key_dat", "x"))).hasMessageContaining("key_dat");
    }

    /** Found by ConfigTableFuzzTest: a path with a NUL byte threw InvalidPathException instead of a config error. */
    @Test
    void pathWithNulIsAConfigError() {
        assertThatThrownBy(() -> KeySource.from("/etc/key\0.pem"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid key source path '/etc/key\\0.pem'");
    }
}
