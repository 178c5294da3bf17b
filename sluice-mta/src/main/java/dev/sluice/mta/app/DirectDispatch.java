package dev.sluice.mta.app;

import dev.sluice.egress.connect.ConnectFailedException;
import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.connect.FailureSummary;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.smtp.ClientTlsContexts;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpClientOptions;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpOpenException;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simplest honest {@link Dispatch}: one connection per message, through the source's route to the plan's
 * destinations in order (the next one after a connect failure), one transaction, QUIT. No connection reuse and
 * no connection_limit: the ready-queue dispatcher ({@code SmtpDispatch}) replaces it in the MTA; this one keeps
 * the MTA testable on its own and is a reference for what an outcome must carry.
 */
public final class DirectDispatch implements Dispatch {
    private static final Logger LOG = LoggerFactory.getLogger(DirectDispatch.class);

    private final Connector connector;
    private final EventLoopGroup loops;
    private final String hostname;
    private final ClientTlsContexts tls;
    private final Listener listener;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    public DirectDispatch(Connector connector, EventLoopGroup loops, String hostname, ClientTlsContexts tls,
                          Listener listener) {
        this.connector = connector;
        this.loops = loops;
        this.hostname = hostname;
        this.tls = tls;
        this.listener = listener;
    }

    @Override
    public void submit(ReadyMessage message) {
        inFlight.incrementAndGet();
        CompletableFuture<DeliveryOutcome> outcome;
        if (draining) {
            outcome = CompletableFuture.completedFuture(transientOutcome(421, "4.3.2 shutting down, not sending"));
        } else {
            try {
                outcome = deliver(message);
            } catch (RuntimeException e) {
                outcome = CompletableFuture.failedFuture(e);
            }
        }
        outcome.exceptionally(e -> transientOutcome(421, "Sluice internal: " + rootMessage(e)))
                .thenAccept(o -> {
                    inFlight.decrementAndGet();
                    listener.completed(message, o);
                });
    }

    private CompletableFuture<DeliveryOutcome> deliver(ReadyMessage ready) {
        EgressRoute route;
        try {
            route = EgressRoutes.from(ready.source());
        } catch (IOException e) {
            return CompletableFuture.completedFuture(transientOutcome(421, "Sluice internal: " + e.getMessage()));
        }
        Envelope envelope = Envelope.of(ready.message().sender(), List.of(ready.message().recipient()),
                ready.message().data());
        return tryFrom(0, ready, route, envelope, new ArrayList<>());
    }

    private CompletableFuture<DeliveryOutcome> tryFrom(int index, ReadyMessage ready, EgressRoute route,
                                                       Envelope envelope, List<ConnectFailure> failures) {
        List<Destination> destinations = ready.plan().destinations();
        if (index == destinations.size()) {
            return CompletableFuture.completedFuture(transientOutcome(400, FailureSummary.summarize(failures)));
        }
        Destination destination = destinations.get(index);
        EgressPath path = ready.plan().path();
        return connector.connect(route, destination.address(), path.timeouts().connect(), loops.next())
                .handle((connected, error) -> {
                    if (error != null) {
                        failures.add(ConnectFailedException.failureOf(error));
                        return tryFrom(index + 1, ready, route, envelope, failures);
                    }
                    return converse(connected, destination, ready, envelope);
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<DeliveryOutcome> converse(Connected connected, Destination destination,
                                                        ReadyMessage ready, Envelope envelope) {
        CompletableFuture<SmtpConnection> open = SmtpClient.open(connected.channel(),
                options(ready.source(), ready.plan().path(), destination.host()));
        connected.resume();
        return open.thenCompose(smtp -> smtp.send(envelope).thenCompose(result -> {
                    String tlsText = smtp.tls().map(t -> t.protocol() + " " + t.cipherSuite()).orElse(null);
                    DeliveryResult r = result.resultFor(ready.message().recipient());
                    return smtp.quit().handle((ignored, e) -> new DeliveryOutcome(r, connected.source(), destination,
                            tlsText));
                }))
                .handle((outcome, error) -> {
                    if (error == null) {
                        return outcome;
                    }
                    connected.channel().close();
                    return new DeliveryOutcome(openFailure(error), connected.source(), destination, null);
                });
    }

    private SmtpClientOptions options(EgressSource source, EgressPath path, String tlsName) {
        String ehlo = path.ehloDomain().or(source::ehloDomain).orElse(hostname);
        return SmtpClientOptions.defaults(ehlo)
                .withEnableTls(path.enableTls())
                .withEnablePipelining(path.enablePipelining())
                .withEnableRset(path.enableRset())
                .withTimeouts(path.timeouts())
                .withMaxRecipientsPerBatch(path.maxRecipientsPerBatch())
                .withTls(tls, tlsName);
    }

    private static DeliveryResult openFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SmtpOpenException open) {
            return open.asResult();
        }
        return new DeliveryResult.Transient(new SmtpResponse(421, null, "Sluice internal: " + cause.getMessage(), null));
    }

    private static DeliveryOutcome transientOutcome(int code, String text) {
        return new DeliveryOutcome(new DeliveryResult.Transient(new SmtpResponse(code, null, text, null)), null, null,
                null);
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c != c.getCause()) {
            c = c.getCause();
        }
        return String.valueOf(c.getMessage());
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public void drain(Duration timeout) {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (inFlight.get() > 0) {
            LOG.warn("{} deliveries still in flight after {}; they stay in the spool", inFlight.get(), timeout);
        }
    }

    @Override
    public void close() {
        draining = true;
    }
}
