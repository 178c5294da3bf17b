package dev.sluice.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace created for one test ({@code sluice-<random>}), with {@code lo} up. Deleted on
 * close; only namespaces created by this class are ever deleted. Needs root.
 */
public final class NetNamespace implements AutoCloseable {
    private final String name;
    private volatile boolean closed;

    private NetNamespace(String name) {
        this.name = name;
    }

    public static NetNamespace create() {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        NetNamespace ns = new NetNamespace("sluice-" + HexFormat.of().formatHex(random));
        check(Tool.run(List.of("ip", "netns", "add", ns.name)));
        Reaper.trackNamespace(ns.name);
        try {
            check(Tool.run(List.of("ip", "-n", ns.name, "link", "set", "lo", "up")));
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() { return name; }

    /** {@code ip -n NS addr add CIDR dev lo}, e.g. "10.0.0.1/32" or "fd00::1/128". */
    public NetNamespace addAddress(String cidr) {
        return addAddress(cidr, "lo");
    }

    public NetNamespace addAddress(String cidr, String device) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name, "addr", "add", cidr, "dev", device));
        if (cidr.contains(":")) cmd.add("nodad"); // usable at once, no duplicate-address wait
        check(Tool.run(cmd));
        return this;
    }

    /** {@code ip -n NS route add <spec...>}, e.g. route("10.1.0.0/16", "dev", "lo"). */
    public NetNamespace addRoute(String... routeSpec) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name, "route", "add"));
        cmd.addAll(List.of(routeSpec));
        check(Tool.run(cmd));
        return this;
    }

    /** The command prefixed with {@code ip netns exec NS}; ip execs it, so the PID is the command's own. */
    public List<String> wrap(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    /** Runs a command to completion inside the namespace. */
    public ToolResult exec(String... command) {
        return Tool.run(this, List.of(command), Map.of(), Tool.DEFAULT_TIMEOUT);
    }

    /** True if a TCP connect to host:port succeeds from inside the namespace. */
    public boolean accepts(String host, int port) {
        return Tool.run(this, List.of("nc", "-z", "-w", "1", host, Integer.toString(port)), Map.of(),
                Duration.ofSeconds(30)).ok();
    }

    /** Deletes the namespace. Peers running in it should be closed first. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ToolResult r = Tool.run(List.of("ip", "netns", "delete", name));
        Reaper.untrackNamespace(name);
        if (!r.ok()) throw new IllegalStateException("cannot delete netns " + name + ": " + r.describe());
    }

    /** True while {@code ip netns list} shows this namespace. */
    public boolean exists() {
        return Tool.run(List.of("ip", "netns", "list")).stdout().lines()
                .anyMatch(l -> l.equals(name) || l.startsWith(name + " "));
    }

    @Override
    public String toString() { return "netns " + name; }

    private static void check(ToolResult r) {
        if (!r.ok()) throw new IllegalStateException(r.describe());
    }
}
