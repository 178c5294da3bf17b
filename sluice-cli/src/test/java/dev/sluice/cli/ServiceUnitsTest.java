package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The systemd units under contrib/systemd: systemd accepts them, and their command lines are ones bin/sluice takes. */
class ServiceUnitsTest {
    @TempDir
    Path dir;

    private static List<Path> units() throws IOException {
        try (Stream<Path> files = Files.list(SluiceProcess.home().resolve("contrib/systemd"))) {
            return files.filter(f -> f.toString().endsWith(".service")).sorted().toList();
        }
    }

    private static List<String> execStart(Path unit) throws IOException {
        String line = Files.readAllLines(unit).stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        return Arrays.asList(line.substring("ExecStart=".length()).split(" +"));
    }

    @Test
    void theMtaProxyAndTsaUnitsExist() throws IOException {
        assertThat(units()).extracting(p -> p.getFileName().toString())
                .containsExactly("sluice-mta.service", "sluice-proxy.service", "sluice-tsa.service");
    }

    @Test
    void eachUnitRunsBinSluiceWithOptionsItAccepts() throws IOException {
        for (Path unit : units()) {
            List<String> command = execStart(unit);
            assertThat(command.getFirst()).as(unit.toString()).isEqualTo("/opt/sluice/bin/sluice");
            String[] args = command.subList(1, command.size()).toArray(String[]::new);
            assertThatCode(() -> Main.commandLine().parseArgs(args)).as(unit + ": " + command).doesNotThrowAnyException();
        }
    }

    @Test
    void systemdAcceptsEachUnit() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze (package systemd) is not installed");
        for (Path unit : units()) {
            // the same unit with the repository where the test runs instead of /opt/sluice
            Path copy = dir.resolve(unit.getFileName());
            Files.writeString(copy, Files.readString(unit).replace("/opt/sluice", SluiceProcess.home().toString()));
            ToolResult r = Tool.run(List.of("systemd-analyze", "verify", copy.toString()));
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout() + r.stderr()).as(r.describe()).doesNotContain(copy.getFileName().toString());
        }
    }
}
