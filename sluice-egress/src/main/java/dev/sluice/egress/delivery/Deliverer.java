package dev.sluice.egress.delivery;

import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.DestinationPlanner.Plan;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.TransactionResult;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.MxHost;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
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
 * answers ({@link SessionOpener}, shared with the MTA), then SMTP in batches of {@code max_recipients_per_batch}. What {@code sluice deliver} runs, and
 * the unit the MTA's dispatcher builds on.
 */
public final class Deliverer {
    private final EgressConfigResolver config;
    private final DestinationPlanner planner;
    private final SessionOpener opener;
    private final Executor policyExecutor;

    /**
     * @param policyExecutor where calls into the policy run (they block on Lua); never an event loop
     * @param hostname       EHLO name when neither the path nor the source gives one
     */
    public Deliverer(EgressConfigResolver config, Connector connector, DestinationPlanner planner,
                     EventLoopGroup loops, Executor policyExecutor, String hostname) {
        this.config = config;
        this.planner = planner;
        this.opener = new SessionOpener(connector, loops, hostname);
        this.policyExecutor = policyExecutor;
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
        var transcript = new Transcript();
        return opener.open(prepared.source(), prepared.route(), plan, prepared.domain(), (connected, destination) -> {
            connected.channel().pipeline().addLast(Transcript.NAME, transcript);
            return true;
        }).thenCompose(result -> switch (result) {
            case SessionOpener.Result.Unroutable u -> done(Delivery.allRecipients(envelope, u.result(), plan.siteName(), List.of()));
            case SessionOpener.Result.Unreachable u ->
                    done(Delivery.allRecipients(envelope, u.result(), plan.siteName(), u.failures()));
            case SessionOpener.Result.Abandoned a -> throw new IllegalStateException("not abandoned here");
            case SessionOpener.Result.Refused r -> done(delivery(allResults(envelope, r.result()), r.connected(),
                    r.destination(), plan, r.failures(), transcript));
            case SessionOpener.Result.Opened o -> sendBatches(o.smtp(),
                            envelope.batches(plan.path().maxRecipientsPerBatch()), 0, new LinkedHashMap<>())
                    .thenCompose(results -> o.smtp().quit().handle((ignored, e) -> results))
                    .handle((results, error) -> delivery(error != null
                                    ? allResults(envelope, SessionOpener.sessionFailure(error)) : results,
                            o.connected(), o.destination(), plan, o.failures(), transcript));
        });
    }

    private static CompletableFuture<Delivery> done(Delivery d) {
        return CompletableFuture.completedFuture(d);
    }

    private static Map<String, DeliveryResult> allResults(Envelope envelope, DeliveryResult result) {
        var all = new LinkedHashMap<String, DeliveryResult>();
        envelope.recipients().forEach(r -> all.put(r, result));
        return all;
    }

    private static Delivery delivery(Map<String, DeliveryResult> results, Connected connected, Destination destination,
                                     Plan plan, List<ConnectFailure> failures, Transcript transcript) {
        return new Delivery(results, connected.source(), destination.mxName(), destination.address(), plan.siteName(),
                failures, transcript.lines());
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

    static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return (at < 0 ? address : address.substring(at + 1)).toLowerCase(Locale.ROOT);
    }
}
