package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code swaks}; stdout is the SMTP transcript, e.g. {@code run("--server", sink.hostPort(), "--to", "b@x.test")}. */
public final class Swaks {
    private Swaks() {}

    public static ToolResult run(String... args) {
        return run(null, List.of(args));
    }

    public static ToolResult run(List<String> args) {
        return run(null, args);
    }

    /** @param namespace run inside this namespace, or null */
    public static ToolResult run(NetNamespace namespace, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("swaks");
        cmd.addAll(args);
        return Tool.run(namespace, cmd, Map.of(), Tool.DEFAULT_TIMEOUT);
    }
}
