package dev.sluice.cli;

import dev.sluice.testkit.NetNamespace;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs {@code bin/sluice} once, as a shell would, and returns its exit code and output. */
final class SluiceCommand {
    private SluiceCommand() {}

    static ToolResult run(String... args) {
        return runIn(null, args);
    }

    /** {@code ip netns exec NS bin/sluice args...}; null runs it in the test's own namespace. */
    static ToolResult runIn(NetNamespace namespace, String... args) {
        var cmd = new ArrayList<String>();
        cmd.add(SluiceProcess.home().resolve("bin/sluice").toString());
        cmd.addAll(List.of(args));
        return Tool.run(namespace, cmd, Map.of("SLUICE_NO_BUILD", "1"), Duration.ofMinutes(1));
    }

    /** {@code cd workDir && bin/sluice args...} with more environment variables. */
    static ToolResult runAt(Path workDir, Map<String, String> env, String... args) {
        var cmd = new ArrayList<String>(List.of("bash", "-c", "cd \"$0\" && exec \"$@\"", workDir.toString(),
                SluiceProcess.home().resolve("bin/sluice").toString()));
        cmd.addAll(List.of(args));
        var all = new HashMap<String, String>(env);
        all.put("SLUICE_NO_BUILD", "1");
        return Tool.run(null, cmd, all, Duration.ofMinutes(1));
    }
}
