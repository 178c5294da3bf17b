package dev.sluice.cli;

import dev.sluice.egress.dns.DnsPolicyModule;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressInventory;
import dev.sluice.policy.egress.EgressPolicyModule;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.ProxyProtocol;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sluice check}: load a policy without opening listeners, and show the sources and pools it defines. */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Load a policy without opening listeners and print its egress sources and pools.",
            "Problems are printed as file:line: reason, with exit code 2.",
            ""
        })
final class CheckCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--policy", required = true, paramLabel = "FILE.lua", description = "The policy to check.")
    Path policyFile;

    @Option(names = "--domain", paramLabel = "D",
            description = "Also resolve the queue config of this recipient domain, and its pool (repeatable).")
    List<String> domains = new ArrayList<>();

    @Option(names = "--source", paramLabel = "NAME", description = "Also resolve this egress source (repeatable).")
    List<String> sources = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var module = new EgressPolicyModule();
        try (var resolvers = new Resolvers();
             Policy policy = Policy.load(new PolicyOptions(policyFile, 1,
                     List.of(module, new DnsPolicyModule(resolvers), new ShapingModule(resolvers)), null))) {
            if (policy.hasHandler("init")) {
                policy.runOnce("init");
            }
            var resolver = new EgressConfigResolver(policy, module.definitions());
            var inventory = EgressInventory.collect(resolver, module.definitions(), domains, sources);
            print(out, inventory);
            if (!inventory.problems().isEmpty()) {
                inventory.problems().forEach(err::println);
                return 2;
            }
            return 0;
        } catch (PolicyException e) {
            err.println(e.getMessage());
            return 2;
        }
    }

    private static void print(PrintWriter out, EgressInventory inventory) {
        var rows = new ArrayList<List<String>>();
        rows.add(List.of("SOURCE", "PROTOCOL", "PROXY SERVER", "SOURCE ADDRESSES", "EHLO"));
        for (EgressSource s : inventory.sources()) {
            rows.add(List.of(s.name(), s.protocol().kind(), proxyServer(s.protocol()), addresses(s),
                    s.ehloDomain().orElse("(host name)")));
        }
        Table.print(out, rows);
        out.println();
        var pools = new ArrayList<List<String>>();
        pools.add(List.of("POOL", "ENTRIES (name:weight)"));
        inventory.pools().forEach(p -> pools.add(List.of(p.name(),
                String.join(", ", p.entries().stream().map(e -> e.name() + ":" + e.weight()).toList()))));
        Table.print(out, pools);
        var ignored = IgnoredKeys.list();
        out.println();
        if (ignored.isEmpty()) {
            out.println("Every key in the policy is acted on.");
        } else {
            out.println("Accepted but not acted on yet:");
            ignored.forEach(k -> out.println("  " + k.table() + "." + k.key()));
        }
        out.flush();
    }

    private static String proxyServer(ProxyProtocol protocol) {
        return switch (protocol) {
            case ProxyProtocol.HaProxy h -> h.server().toString();
            case ProxyProtocol.Socks5 s -> s.server() + (s.useTls() ? " (tls)" : "");
            case ProxyProtocol.Direct d -> "-";
        };
    }

    /** Where we bind locally, and the address the destination sees when the config says it. */
    private static String addresses(EgressSource s) {
        String local = "local " + s.sourceAddress().map(InetAddress::getHostAddress).orElse("(kernel)");
        Optional<InetAddress> seen = s.outboundAddress();
        return switch (s.protocol()) {
            case ProxyProtocol.Direct d -> local;
            case ProxyProtocol.HaProxy h -> local + ", egress " + h.sourceAddress().getHostAddress();
            case ProxyProtocol.Socks5 x -> local + ", egress "
                    + seen.map(InetAddress::getHostAddress).orElse("(proxy's choice: CONNECT alone)");
        };
    }
}
