package dev.sluice.mta.dispatch;

import dev.sluice.egress.connect.ConnectFailedException;
import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.DestinationPlanner.Plan;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.EnhancedStatusCode;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpClient;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpOpenException;
import dev.sluice.egress.smtp.SmtpOptionsFactory;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.egress.smtp.TransactionResult;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.ReadyMessage;
import io.netty.channel.Channel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * One connection of a ready queue: connects through the plan's destinations in order (the first that
 * connects wins), opens the SMTP session, then sends one batch per transaction (a message and the waiting
 * recipients of the same reception, each still its own message with its own outcome) until the queue has
 * none (idle, until the SMTP client's idle timeout QUITs), max_deliveries_per_connection transactions are
 * reached, the connection breaks, or the queue drains. Opened for one batch, which it owns until reported.
 */
final class Lane {
    /** A reused connection that died before MAIL FROM does not count against a message this often. */
    private static final int MAX_REQUEUES = 3;

    private final ReadyQueue queue;
    private final List<Entry> first;
    private volatile Channel channel;
    private volatile SmtpConnection smtp;
    private Connected connected;
    private Destination destination;
    /** Set under the queue's lock when the queue told this lane to stop taking messages. */
    boolean retiring;
    /** The batch handed to this lane and not sent yet (guarded by the queue's lock); null once sending. */
    List<Entry> pending;
    /** The named shared connection limits this connection counts against (released when it closes). */
    List<String> sharedLimits = List.of();
    /** With Redis throttles: this connection's leases (connection_limit and named limits), given back when it closes. */
    List<dev.sluice.policy.throttle.Lease> leases = List.of();

    Lane(ReadyQueue queue, List<Entry> first) {
        this.queue = queue;
        this.first = first;
        this.pending = first;
    }

    void releaseLeases() {
        leases.forEach(dev.sluice.policy.throttle.Lease::release);
    }

    private ReadyMessage head() {
        return first.getFirst().message;
    }

    void start() {
        ReadyMessage m = head();
        Plan plan = m.plan();
        DeliveryOutcome unroutable = unroutable(m);
        if (unroutable != null) {
            completeAll(first, unroutable);
            queue.laneGone(this);
            return;
        }
        EgressRoute route;
        try {
            route = EgressRoutes.from(m.source());
        } catch (IOException | RuntimeException e) {
            completeAll(first, Outcomes.transientFailure(451, new EnhancedStatusCode(4, 3, 0),
                    "Sluice internal: egress source " + m.source().name() + ": " + e.getMessage()));
            queue.laneGone(this);
            return;
        }
        tryConnect(route, plan, 0, new ArrayList<>());
    }

    /** The outcome of a message whose plan has no destination (KumoMTA's texts, as the Deliverer has them), else null. */
    static DeliveryOutcome unroutable(ReadyMessage m) {
        Plan plan = m.plan();
        if (!plan.destinations().isEmpty()) return null;
        if (!plan.prohibited().isEmpty()) {
            return Outcomes.permanentFailure(550, new EnhancedStatusCode(5, 4, 4), plan.prohibitedText());
        }
        return Outcomes.transientFailure(451, new EnhancedStatusCode(4, 4, 4), "no address to deliver to for "
                + m.message().recipientDomain()
                + (plan.lookupErrors().isEmpty() ? "" : ": " + String.join("; ", plan.lookupErrors())));
    }

    private void tryConnect(EgressRoute route, Plan plan, int index, List<ConnectFailure> failures) {
        if (index == plan.destinations().size()) {
            queue.connectFailed(this, first, failures);
            return;
        }
        Destination d = plan.destinations().get(index);
        queue.dispatch.connector.connect(route, d.address(), plan.path().timeouts().connect(), queue.dispatch.loops.next())
                .whenComplete((c, error) -> {
                    if (error != null) {
                        failures.add(ConnectFailedException.failureOf(error));
                        tryConnect(route, plan, index + 1, failures);
                    } else {
                        onConnected(c, d, plan);
                    }
                });
    }

    private void onConnected(Connected c, Destination d, Plan plan) {
        connected = c;
        destination = d;
        channel = c.channel();
        String service = queue.service;
        queue.dispatch.metrics.connectionOpened(service, queue.proxy);
        channel.closeFuture().addListener(f -> {
            queue.dispatch.metrics.connectionClosed(service, queue.proxy);
            queue.laneGone(this);
        });
        if (queue.isDraining()) {
            completeAll(first, Outcomes.shuttingDown());
            channel.close();
            return;
        }
        var options = SmtpOptionsFactory.forPath(head().source(), plan.path(), queue.dispatch.hostname, d.host());
        var open = SmtpClient.open(channel, options);
        c.resume();
        open.whenComplete((s, error) -> {
            if (error != null) {
                // the SMTP client closed the channel; the close listener frees the lane
                completeAll(first, outcome(openFailure(error), null));
                return;
            }
            smtp = s;
            send(queue.startSending(this, first));
        });
    }

    private static DeliveryResult openFailure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SmtpOpenException open) return open.asResult();
        return new DeliveryResult.Transient(new SmtpResponse(421, null, "Sluice internal: " + cause.getMessage(), null));
    }

    private void send(List<Entry> batch) {
        List<Entry> sendable = new ArrayList<>(batch.size());
        for (Entry e : batch) {
            String bad = Envelope.addressProblem(e.message.message().recipient());
            if (bad == null) {
                sendable.add(e);
            } else {
                queue.dispatch.complete(queue, e, outcome(new DeliveryResult.Permanent(new SmtpResponse(550,
                        new EnhancedStatusCode(5, 1, 3), "Sluice internal: " + bad, null)), null));
            }
        }
        if (sendable.isEmpty()) {
            next();
            return;
        }
        Message m = sendable.getFirst().message.message();
        Envelope envelope;
        try {
            // the data comes from the spool now and goes when the transaction is over (the envelope holds it)
            envelope = Envelope.of(m.sender(), recipients(sendable), m.data());
        } catch (java.io.UncheckedIOException unreadable) {
            completeAll(sendable, outcome(new DeliveryResult.Transient(new SmtpResponse(451,
                    new EnhancedStatusCode(4, 3, 0), "Sluice internal: " + unreadable.getMessage(), null)), null));
            next();
            return;
        } catch (IllegalArgumentException bad) { // the sender's address: no recipient of the batch can go
            completeAll(sendable, outcome(new DeliveryResult.Permanent(new SmtpResponse(550,
                    new EnhancedStatusCode(5, 1, 7), "Sluice internal: " + bad.getMessage(), null)), null));
            next();
            return;
        }
        int before = smtp.deliveries();
        boolean reused = before > 0;
        smtp.send(envelope).whenComplete((TransactionResult r, Throwable error) -> {
            if (error != null) {
                // a bug, not a protocol outcome: do not reuse the connection (closing it frees the lane)
                completeAll(sendable, outcome(new DeliveryResult.Transient(new SmtpResponse(421, null,
                        "Sluice internal: " + error.getMessage(), null)), null));
                channel.close();
                return;
            }
            boolean neverSent = reused && r.recipients().getFirst().result() instanceof DeliveryResult.Transient
                    && smtp.deliveries() == before && !smtp.isUsable();
            if (neverSent) {
                // an idle connection died just before this batch: not its messages' fault
                List<Entry> again = new ArrayList<>();
                for (Entry e : sendable) {
                    if (e.requeues++ < MAX_REQUEUES) {
                        again.add(e);
                    } else {
                        queue.dispatch.complete(queue, e, outcome(r.recipients().getFirst().result(), tls()));
                    }
                }
                if (!again.isEmpty()) queue.requeueFront(this, again);
            } else {
                String tls = tls();
                for (int i = 0; i < sendable.size(); i++) {
                    queue.dispatch.complete(queue, sendable.get(i), outcome(r.recipients().get(i).result(), tls));
                }
            }
            next();
        });
    }

    private static List<String> recipients(List<Entry> batch) {
        List<String> out = new ArrayList<>(batch.size());
        for (Entry e : batch) out.add(e.message.message().recipient());
        return out;
    }

    private void completeAll(List<Entry> batch, DeliveryOutcome outcome) {
        for (Entry e : batch) queue.dispatch.complete(queue, e, outcome);
    }

    private void next() {
        // the queue's current path, not the one this connection opened with: a changed limit applies at once
        int max = queue.latest().plan().path().maxDeliveriesPerConnection();
        List<Entry> batch = queue.nextFor(this, smtp.isUsable(), smtp.deliveries(), max);
        if (batch != null) {
            send(batch);
        } else if (retiring) {
            quit();
        }
        // else idle: the queue hands the next batch to offer(), or the client's idle timer QUITs
    }

    /** A batch for this idle lane (from the queue's pump). */
    void offer(List<Entry> batch) {
        channel.eventLoop().execute(() -> {
            if (!smtp.isUsable()) {
                // the idle timer or the server closed it meanwhile
                queue.requeueFront(this, batch);
                return;
            }
            send(queue.startSending(this, batch));
        });
    }

    void quit() {
        SmtpConnection s = smtp;
        if (s != null) {
            s.quit();
        } else if (channel != null) {
            channel.close();
        }
    }

    void close() {
        Channel c = channel;
        if (c != null) c.close();
    }

    private String tls() {
        return smtp.tls().map(t -> t.protocol() + " " + t.cipherSuite()).orElse(null);
    }

    private DeliveryOutcome outcome(DeliveryResult result, String tls) {
        return new DeliveryOutcome(result, connected.source(), destination, tls);
    }
}
