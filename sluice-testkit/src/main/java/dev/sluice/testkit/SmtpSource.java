package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Postfix {@code smtp-source}, run to completion, e.g. {@code run("-s", "2", "-m", "5", "-f", "a@x.test", "-t", "b@x.test", sink.hostPort())}. */
public final class SmtpSource {
    private SmtpSource() {}

    public static ToolResult run(String... args) {
        return run(null, List.of(args));
    }

    public static ToolResult run(List<String> args) {
        return run(null, args);
    }

    /** @param namespace run inside this namespace, or null */
    public static ToolResult run(NetNamespace namespace, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("smtp-source");
        cmd.addAll(args);
        return Tool.run(namespace, cmd, Map.of(), Tool.DEFAULT_TIMEOUT);
    }
}
