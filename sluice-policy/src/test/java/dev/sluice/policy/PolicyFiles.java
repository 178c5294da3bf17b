package dev.sluice.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes Lua policy files for tests. */
final class PolicyFiles {
    private PolicyFiles() {}

    static Path write(Path dir, String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }
}
