package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdTest {
    @TempDir
    Path dir;

    @Test
    void theSameIdAfterARestart() throws IOException {
        Path file = dir.resolve("data/nodeid");
        var first = NodeId.loadOrCreate(file);
        assertThat(NodeId.loadOrCreate(file)).isEqualTo(first);
        assertThat(Files.readString(file).strip()).isEqualTo(first.toString());
    }

    @Test
    void aDamagedFileIsAnErrorNotANewIdentity() throws IOException {
        Path file = dir.resolve("nodeid");
        Files.writeString(file, "garbage");
        assertThatThrownBy(() -> NodeId.loadOrCreate(file)).isInstanceOf(IOException.class).hasMessageContaining("garbage");
    }
}
