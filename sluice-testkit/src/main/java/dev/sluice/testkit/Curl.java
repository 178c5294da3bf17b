package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code curl}, e.g. {@code run("-sS", "--socks5", socks.hostPort(), url)}. */
public final class Curl {
    private Curl() {}

    public static ToolResult run(String... args) {
        return run(null, List.of(args));
    }

    public static ToolResult run(List<String> args) {
        return run(null, args);
    }

    /** @param namespace run inside this namespace, or null */
    public static ToolResult run(NetNamespace namespace, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("curl");
        cmd.addAll(args);
        return Tool.run(namespace, cmd, Map.of(), Tool.DEFAULT_TIMEOUT);
    }
}
