package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * kcli's scheduled-queue criteria of {@code rebind} and {@code xfer} (a picocli mixin): {@code --domain},
 * {@code --routing-domain}, {@code --campaign}, {@code --tenant}, or {@code --everything} to mean every queue.
 */
final class QueueMatch {
    @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only queues of this recipient domain.")
    String domain;

    @Option(names = "--routing-domain", paramLabel = "DOMAIN", description = "Only queues of this routing domain.")
    String routingDomain;

    @Option(names = "--campaign", paramLabel = "CAMPAIGN", description = "Only queues of this campaign.")
    String campaign;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Only queues of this tenant.")
    String tenant;

    @Option(names = "--everything", description = "Every queue: required when no other criterion is given.")
    boolean everything;

    /**
     * Checks that criteria ({@code more}: the command's own, such as --queue) or --everything were given, not
     * both, and adds the criteria to the request body.
     */
    void apply(CommandSpec spec, boolean more, String otherNames, ObjectNode body) {
        boolean any = more || domain != null || routingDomain != null || campaign != null || tenant != null;
        if (any == everything) {
            throw new ParameterException(spec.commandLine(), any
                    ? "--everything cannot be combined with criteria"
                    : "give --domain, --routing-domain, --campaign, --tenant" + otherNames
                            + ", or --everything to mean every queue");
        }
        if (domain != null) body.put("domain", domain);
        if (routingDomain != null) body.put("routing_domain", routingDomain);
        if (campaign != null) body.put("campaign", campaign);
        if (tenant != null) body.put("tenant", tenant);
    }
}
