package dev.sluice.cli;

import dev.sluice.mta.app.MtaApp;
import dev.sluice.mta.app.MtaCheck;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.ProxyProtocol;
import java.io.IOException;
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

/**
 * {@code sluice check}: load a policy as {@code sluice mta} does, start nothing, and report what it asks for that
 * fails or that Sluice does not do ({@link MtaCheck}).
 */
@Command(
        name = "check",
        header = "Check a policy as `sluice mta` would run it, opening nothing, and report each problem.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Load a policy with everything `sluice mta` installs, run init without opening sockets or writing files,",
            "run the events the configuration depends on and every validate_config handler; print what would start,",
            "the egress sources and pools, and each finding as file:line: reason.",
            "Exit code 0: everything the policy asks for is done; 1: something it asks for is not (an event Sluice never",
            "fires, a kumo function Sluice lacks, a key accepted but not acted on); 2: something failed.",
            ""
        })
final class CheckCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE.lua",
            description = "The policy to check (default: the bundled policy `sluice mta` runs without --policy).")
    Path policyFile;

    @Option(names = "--domain", paramLabel = "D",
            description = "Run the queue, pool, source, path and listener-domain events for this recipient domain "
                    + "(repeatable; default " + MtaCheck.PROBE_DOMAIN + ").")
    List<String> domains = new ArrayList<>();

    @Option(names = "--source", paramLabel = "NAME", description = "Also resolve this egress source (repeatable).")
    List<String> sources = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path file = policyFile != null ? policyFile : MtaApp.Options.defaultPolicy().policyFile();
        MtaCheck.Report report;
        try {
            report = MtaCheck.run(file, domains, sources);
        } catch (PolicyException e) {
            err.println(e.getMessage());
            return 2;
        }
        print(out, report);
        report.errors().forEach(err::println);
        report.notDone().forEach(err::println);
        err.flush();
        return report.exitCode();
    }

    private static void print(PrintWriter out, MtaCheck.Report report) {
        if (report.wouldStart().isEmpty()) {
            out.println("Would start nothing (init starts no listener and defines no spool or logs).");
        } else {
            out.println("Would start:");
            report.wouldStart().forEach(line -> out.println("  " + line));
        }
        out.println();
        var rows = new ArrayList<List<String>>();
        rows.add(List.of("SOURCE", "PROTOCOL", "PROXY SERVER", "SOURCE ADDRESSES", "EHLO"));
        for (EgressSource s : report.inventory().sources()) {
            rows.add(List.of(s.name(), s.protocol().kind(), proxyServer(s.protocol()), addresses(s),
                    s.ehloDomain().orElse("(host name)")));
        }
        Table.print(out, rows);
        out.println();
        var pools = new ArrayList<List<String>>();
        pools.add(List.of("POOL", "ENTRIES (name:weight)"));
        report.inventory().pools().forEach(p -> pools.add(List.of(p.name(),
                String.join(", ", p.entries().stream().map(e -> e.name() + ":" + e.weight()).toList()))));
        Table.print(out, pools);
        out.println();
        for (MtaCheck.PathReport path : report.paths()) {
            out.println("Egress path " + path.source() + " -> " + path.site() + " for " + path.domain()
                    + " (shaping files: " + String.join(", ", path.files()) + "):");
            var options = new ArrayList<List<String>>();
            options.add(List.of("OPTION", "VALUE", "FROM"));
            path.options().forEach(o -> options.add(List.of(o.key(), String.valueOf(o.value()), o.origin())));
            Table.print(out, options);
            out.println();
        }
        if (!report.errors().isEmpty()) {
            out.println(report.errors().size() + " problem(s) and " + report.notDone().size()
                    + " thing(s) Sluice does not do, listed on stderr.");
        } else if (!report.notDone().isEmpty()) {
            out.println(report.notDone().size() + " thing(s) the policy asks for that Sluice does not do, "
                    + "listed on stderr.");
        } else {
            out.println("Everything the policy asks for is done.");
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
