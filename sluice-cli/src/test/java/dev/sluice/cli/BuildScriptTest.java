package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice} building the project before its first run: a copy of the scripts in a tree without a jar,
 * and a stand-in {@code mvn} first on the PATH that writes what Maven writes (colour codes, JVM warnings, one
 * "Building" line per module) and makes the jar, or fails.
 */
class BuildScriptTest {
    @TempDir
    Path home;

    private static final String MAVEN_OUTPUT = """
            printf '\\033[0m\\033[0m[INFO] Scanning for projects...\\n'
            echo 'WARNING: A terminally deprecated method in sun.misc.Unsafe has been called'
            echo '[INFO] Building Sluice 0.1.0-SNAPSHOT                                     [1/3]'
            printf '\\033[1m[INFO] --- maven-compiler-plugin ---\\033[m\\n'
            echo '[INFO] Building sluice-net 0.1.0-SNAPSHOT                                 [2/3]'
            echo '[INFO] Building sluice-cli 0.1.0-SNAPSHOT                                 [3/3]'
            """;

    private ToolResult firstRun(String mavenBody) throws IOException {
        Path source = SluiceProcess.home();
        Files.createDirectories(home.resolve("bin/lib"));
        for (String f : List.of("bin/sluice", "bin/lib/jdk.sh", "bin/lib/build.sh")) {
            Files.copy(source.resolve(f), home.resolve(f));
        }
        Files.writeString(home.resolve("pom.xml"), "<project/>\n");
        Path fakeBin = Files.createDirectories(home.resolve("fake-bin"));
        Path mvn = fakeBin.resolve("mvn");
        Files.writeString(mvn, "#!/usr/bin/env bash\n" + mavenBody);
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return Tool.run(null, List.of(home.resolve("bin/sluice").toString(), "version"),
                // bin/test exports SLUICE_NO_BUILD=1 for every test: empty here, or the script would not build
                Map.of("PATH", fakeBin + ":" + System.getenv("PATH"), "SLUICE_NO_BUILD", ""), Duration.ofMinutes(1));
    }

    @Test
    void theFirstBuildSaysSoAndShowsOneCleanLinePerModule() throws IOException {
        ToolResult r = firstRun(MAVEN_OUTPUT + "mkdir -p sluice-cli/target && : > sluice-cli/target/sluice-cli.jar\n");

        List<String> lines = r.stderr().lines().takeWhile(l -> l.startsWith("sluice: ")).toList();
        assertThat(lines).as(r.describe()).containsExactly(
                "sluice: first build, about 2 minutes (Maven fetches what it needs the first time)...",
                "sluice: building Sluice (1/3)",
                "sluice: building sluice-net (2/3)",
                "sluice: building sluice-cli (3/3)",
                "sluice: built");
        assertThat(r.stderr()).doesNotContain("\u001b", "WARNING", "sources are newer");
        assertThat(home.resolve(".build.log")).content().contains("WARNING: A terminally deprecated method")
                .doesNotContain("\u001b");
    }

    @Test
    void aFailedBuildShowsMavensErrorsAndWhereTheLogIs() throws IOException {
        ToolResult r = firstRun(MAVEN_OUTPUT + "echo '[ERROR] COMPILATION ERROR : Foo.java:[3,1] class expected'\nexit 1\n");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines()).as(r.describe()).endsWith(
                "sluice: build failed (exit 1); Maven's errors:",
                "[ERROR] COMPILATION ERROR : Foo.java:[3,1] class expected",
                "sluice: the whole build log is " + home.toRealPath().resolve(".build.log"));
    }
}
