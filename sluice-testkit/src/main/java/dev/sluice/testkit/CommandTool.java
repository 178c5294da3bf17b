package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A one-shot command-line tool (curl, swaks, smtp-source): run it to the end and get its exit code and
 * output, e.g. {@code CommandTool.CURL.run("-sS", "--socks5", socks.hostPort(), url)}.
 */
public record CommandTool(String program) {
    public static final CommandTool CURL = new CommandTool("curl");
    /** swaks; supports PROXY v1/v2 (--proxy-version), TLS (--tls) and binding (--local-interface). */
    public static final CommandTool SWAKS = new CommandTool("swaks");
    /** Postfix's smtp-source, e.g. {@code run("-s", "4", "-m", "200", "127.0.0.1:2525")}. */
    public static final CommandTool SMTP_SOURCE = new CommandTool("smtp-source");

    public ToolResult run(String... args) {
        return run(null, List.of(args));
    }

    public ToolResult run(List<String> args) {
        return run(null, args);
    }

    /** @param namespace run inside this namespace, or null */
    public ToolResult run(NetNamespace namespace, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(program);
        cmd.addAll(args);
        return Tool.run(namespace, cmd, Map.of(), Tool.DEFAULT_TIMEOUT);
    }
}
