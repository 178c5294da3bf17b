package dev.sluice.cli;

import dev.sluice.testkit.NetNamespace;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import dev.sluice.testkit.ToolResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code bin/sluice} once, as a shell would, and returns its exit code and output; or, for verbs whose test is
 * about what the verb does rather than about the launcher, the same command line in this JVM ({@link #inProcess}),
 * which saves the 3 s start of a JVM per call. Each test class keeps some calls through the real launcher.
 */
final class SluiceCommand {
    private SluiceCommand() {}

    static ToolResult run(String... args) {
        return runIn(null, args);
    }

    /**
     * {@code sluice args...} through {@link Main#commandLine()} in this JVM: picocli's out and err, and what the
     * command's code and its log (logback's console appender, on {@code System.err}) print meanwhile, are the
     * result's stdout and stderr. Surefire runs one test at a time per JVM, so swapping System.out/err is safe.
     */
    static synchronized ToolResult inProcess(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var sysOut = new ByteArrayOutputStream();
        var sysErr = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        int code;
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            var cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
            cl.getOut().flush();
            cl.getErr().flush();
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        var command = new ArrayList<String>(List.of("sluice", "(in-process)"));
        command.addAll(List.of(args));
        return new ToolResult(command, code, out + sysOut.toString(StandardCharsets.UTF_8),
                err + sysErr.toString(StandardCharsets.UTF_8), null, null);
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
