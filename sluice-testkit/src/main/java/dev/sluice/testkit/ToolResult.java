package dev.sluice.testkit;

import java.nio.file.Path;
import java.util.List;

/** Outcome of a command that ran to its end (smtp-source, swaks, curl, ...). */
public record ToolResult(List<String> command, int exitCode, String stdout, String stderr, Path stdoutFile,
                         Path stderrFile) {

    public boolean ok() {
        return exitCode == 0;
    }

    /** One line for assertion messages: command, exit code, where the full output is. */
    public String describe() {
        return String.join(" ", command) + " -> exit " + exitCode + " (stdout " + stdoutFile + ", stderr "
                + stderrFile + ")\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }

    @Override
    public String toString() {
        return describe();
    }
}
