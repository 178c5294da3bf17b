package dev.sluice.cli;

import dev.sluice.net.Hostnames;

import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.ConnectMetrics;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.delivery.Deliverer;
import dev.sluice.egress.delivery.Delivery;
import dev.sluice.egress.dns.DnsPolicyModule;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.net.Transports;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressPolicyModule;
import dev.sluice.policy.egress.MxHost;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice deliver}: one message, now, through one source's route: "does ip-1 work through its proxy?" */
@Command(
        name = "deliver",
        header = "Deliver one message now through an egress source's route and print the SMTP transcript.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Deliver one message now through an egress source's route (direct, SOCKS5 or HAProxy), and print",
            "the SMTP transcript and the source address the destination saw. No MTA or spool is involved.",
            "Exit code: 0 delivered, 1 not delivered (the reply says why), 2 a policy or usage problem.",
            ""
        })
final class DeliverCommand implements java.util.concurrent.Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--policy", required = true, paramLabel = "FILE.lua", description = "The policy defining the source.")
    Path policyFile;

    @Option(names = "--source", required = true, paramLabel = "NAME", description = "The egress source to use.")
    String source;

    @Option(names = "--to", required = true, paramLabel = "ADDR", description = "Recipient (repeatable).")
    List<String> recipients;

    @Option(names = "--from", paramLabel = "ADDR", description = "Envelope sender (default postmaster@<host name>).")
    String sender;

    @Option(names = "--mx", paramLabel = "HOST:PORT",
            description = "Deliver here instead of the queue's mx_list or the recipient domain's MX records.")
    String mx;

    @Option(names = "--message", required = true, paramLabel = "FILE.eml", description = "The RFC 5322 message.")
    Path message;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        byte[] data;
        try {
            data = Files.readAllBytes(message);
        } catch (java.io.IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read --message " + message + ": " + e.getMessage());
        }
        String hostname = Hostnames.local();
        Envelope envelope;
        List<MxHost> mxOverride;
        try {
            envelope = Envelope.of(sender != null ? sender : "postmaster@" + hostname, recipients, data);
            mxOverride = mx == null ? List.of() : List.of(MxHost.parse("--mx", mx));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }

        var registry = new PrometheusRegistry();
        var egress = new EgressPolicyModule();
        var loops = Transports.newEventLoopGroup(1);
        var policyThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "policy"));
        try (var resolvers = new Resolvers();
             Policy policy = Policy.load(new PolicyOptions(policyFile, 1, List.of(egress, new DnsPolicyModule(resolvers), new ShapingModule(resolvers)), registry))) {
            if (policy.hasHandler("init")) {
                policy.runOnce("init");
            }
            var deliverer = new Deliverer(new EgressConfigResolver(policy, egress.definitions()),
                    new Connector(resolvers, new SourceHealth(registry), new RouteHealth(), new ConnectMetrics(registry)),
                    new DestinationPlanner(resolvers), loops, policyThread, hostname);
            Delivery delivery;
            try {
                delivery = deliverer.deliver(source, envelope, mxOverride).get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
                if (cause instanceof PolicyException pe) {
                    err.println(pe.getMessage());
                    return 2;
                }
                if (cause instanceof java.io.IOException io) {
                    // a socks5_proxy_password or socks5_proxy_tls_ca key source: configuration, not delivery
                    err.println("egress source '" + source + "': cannot read a key source: " + ioText(io));
                    return 2;
                }
                throw e;
            }
            print(out, delivery);
            return delivery.delivered() ? 0 : 1;
        } catch (PolicyException e) {
            err.println(e.getMessage());
            return 2;
        } finally {
            policyThread.shutdownNow();
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static void print(PrintWriter out, Delivery d) {
        for (ConnectFailure f : d.connectFailures()) {
            out.println("connect failed: " + f.message());
        }
        if (d.destination() != null) {
            out.println("connected to " + d.mxName() + " (" + dev.sluice.net.IpLiterals.format(d.destination())
                    + "), site " + d.siteName());
            d.transcript().forEach(out::println);
        }
        if (d.source() != null) {
            var s = d.source();
            out.println((s.address() == null ? s.describe() : "source address: " + s.address())
                    + (s.protocol() == null ? " (direct)" : " via " + s.protocol() + " " + s.server()));
        }
        d.results().forEach((rcpt, result) -> out.println(label(result) + " " + rcpt + ": " + result.response().code()
                + (result.response().enhanced() == null ? "" : " " + result.response().enhanced())
                + " " + result.response().content().replace('\n', ' ')));
        out.flush();
    }

    private static String ioText(java.io.IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file " + e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static String label(DeliveryResult r) {
        return switch (r) {
            case DeliveryResult.Delivered d -> "delivered";
            case DeliveryResult.Transient t -> "transient failure";
            case DeliveryResult.Permanent p -> "permanent failure";
        };
    }
}
