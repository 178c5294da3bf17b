package dev.sluice.egress.delivery;

import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.ConnectFailedException;
import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.connect.FailureSummary;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.DestinationPlanner.Plan;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpOptionsFactory;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpOpenException;
import dev.sluice.egress.smtp.TransactionResult;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.MxHost;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Delivers one envelope through one egress source, now: the policy's source and queue config, the
 * destination plan (mx_list or MX), then each destination in turn through the source's route until one
 * answers, then SMTP in batches of {@code max_recipients_per_batch}. What {@code sluice deliver} runs, and
 * the unit the MTA's dispatcher builds on.
 */
public final class Deliverer {
    private final EgressConfigResolver config;
    private final Connector connector;
    private final DestinationPlanner planner;
    private final EventLoopGroup loops;
    private final Executor policyExecutor;
    private final String hostname;

    /**
     * @param policyExecutor where calls into the policy run (they block on Lua); never an event loop
     * @param hostname       EHLO name when neither the path nor the source gives one
     */
    public Deliverer(EgressConfigResolver config, Connector connector, DestinationPlanner planner,
                     EventLoopGroup loops, Executor policyExecutor, String hostname) {
        this.config = config;
        this.connector = connector;
        this.planner = planner;
        this.loops = loops;
        this.policyExecutor = policyExecutor;
        this.hostname = hostname;
    }

    /** The source, its route, and where its domain's mail goes, as the policy says. */
    private record Prepared(EgressSource source, EgressRoute route, String domain, List<MxHost> mxList) {}

    /**
     * @param mxOverride destinations to use instead of the queue's mx_list or the MX records (empty = none)
     * @return fails only when the configuration does: the policy (PolicyException as the cause) or a key source
     *         of the source that cannot be read (IOException); delivery failures are results
     */
    public CompletableFuture<Delivery> deliver(String sourceName, Envelope envelope, List<MxHost> mxOverride) {
        String domain = domainOf(envelope.recipients().get(0));
        return CompletableFuture.supplyAsync(() -> prepare(sourceName, domain, mxOverride), policyExecutor)
                .thenCompose(prepared -> planner.plan(domain, prepared.mxList(),
                                site -> CompletableFuture.supplyAsync(() -> path(domain, sourceName, site), policyExecutor),
                                prepared.source().remotePort())
                        .thenCompose(plan -> attempt(prepared, plan, envelope)));
    }

    private Prepared prepare(String sourceName, String domain, List<MxHost> mxOverride) {
        try {
            EgressSource source = config.source(sourceName);
            List<MxHost> mxList = mxOverride.isEmpty()
                    ? config.queueConfig(domain, null, null, null).mxList()
                    : mxOverride;
            return new Prepared(source, EgressRoutes.from(source), domain, mxList);
        } catch (PolicyException | IOException e) {
            throw new CompletionException(e);
        }
    }

    private EgressPath path(String domain, String sourceName, String site) {
        try {
            return config.path(domain, sourceName, site);
        } catch (PolicyException e) {
            throw new CompletionException(e);
        }
    }

    private CompletableFuture<Delivery> attempt(Prepared prepared, Plan plan, Envelope envelope) {
        if (plan.destinations().isEmpty()) {
            if (!plan.prohibited().isEmpty()) {
                return Delivery.failed(envelope, 550, "5.4.4 " + plan.prohibitedText(), plan.siteName(), List.of());
            }
            return Delivery.failed(envelope, 451, "4.4.4 no address to deliver to for " + prepared.domain()
                    + (plan.lookupErrors().isEmpty() ? "" : ": " + String.join("; ", plan.lookupErrors())),
                    plan.siteName(), List.of());
        }
        return tryFrom(0, prepared, plan, envelope, new ArrayList<>());
    }

    /** Connects to destination {@code index}, or the next one after a connect failure. */
    private CompletableFuture<Delivery> tryFrom(int index, Prepared prepared, Plan plan, Envelope envelope,
                                                List<ConnectFailure> failures) {
        if (index == plan.destinations().size()) {
            return Delivery.failed(envelope, 400, FailureSummary.summarize(failures), plan.siteName(), failures);
        }
        Destination destination = plan.destinations().get(index);
        return connector.connect(prepared.route(), destination.address(), plan.path().timeouts().connect(), loops.next())
                .handle((connected, error) -> {
                    if (error != null) {
                        failures.add(ConnectFailedException.failureOf(error));
                        return tryFrom(index + 1, prepared, plan, envelope, failures);
                    }
                    return converse(connected, destination, prepared, plan, envelope, failures);
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<Delivery> converse(Connected connected, Destination destination, Prepared prepared,
                                                 Plan plan, Envelope envelope, List<ConnectFailure> failures) {
        var transcript = new Transcript();
        connected.channel().pipeline().addLast(Transcript.NAME, transcript);
        CompletableFuture<SmtpConnection> open = SmtpClient.open(connected.channel(),
                SmtpOptionsFactory.forPath(prepared.source(), plan.path(), hostname, destination.host()));
        connected.resume();
        return open.thenCompose(smtp -> sendBatches(smtp, envelope.batches(plan.path().maxRecipientsPerBatch()), 0,
                        new LinkedHashMap<>())
                        .thenCompose(results -> smtp.quit().handle((ignored, e) -> results)))
                .handle((results, error) -> {
                    if (error != null) {
                        DeliveryResult result = openFailure(error);
                        var all = new LinkedHashMap<String, DeliveryResult>();
                        envelope.recipients().forEach(r -> all.put(r, result));
                        results = all;
                    }
                    return new Delivery(results, connected.source(), destination.mxName(), destination.address(),
                            plan.siteName(), List.copyOf(failures), transcript.lines());
                });
    }

    private static CompletableFuture<Map<String, DeliveryResult>> sendBatches(
            SmtpConnection smtp, List<Envelope> batches, int index, Map<String, DeliveryResult> results) {
        if (index == batches.size()) {
            return CompletableFuture.completedFuture(results);
        }
        return smtp.send(batches.get(index)).thenCompose((TransactionResult r) -> {
            r.recipients().forEach(rr -> results.put(rr.recipient(), rr.result()));
            return sendBatches(smtp, batches, index + 1, results);
        });
    }

    private static DeliveryResult openFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SmtpOpenException open) {
            return open.asResult();
        }
        return new DeliveryResult.Transient(new dev.sluice.egress.smtp.SmtpResponse(421, null,
                "Sluice internal: " + cause.getMessage(), null));
    }

    static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return (at < 0 ? address : address.substring(at + 1)).toLowerCase(Locale.ROOT);
    }
}
