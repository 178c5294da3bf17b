package dev.sluice.mta.dispatch;

import dev.sluice.egress.connect.Connected;
import dev.sluice.egress.connect.EgressRoute;
import dev.sluice.egress.delivery.SessionOpener;
import dev.sluice.egress.route.DestinationPlanner.Destination;
import dev.sluice.egress.route.EgressRoutes;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.EnhancedStatusCode;
import dev.sluice.egress.smtp.Envelope;
import dev.sluice.egress.smtp.SmtpConnection;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.egress.smtp.TransactionResult;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.ReadyMessage;
import io.netty.channel.Channel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One connection of a ready queue: opens a session on the first of the plan's destinations that connects (the
 * egress layer's {@link SessionOpener}, which {@code sluice deliver} uses too), then sends one batch per transaction
 * (a message and the waiting recipients of the same reception, each still its own message with its own outcome)
 * until the queue has none (idle, until the SMTP client's idle timeout QUITs), max_deliveries_per_connection
 * transactions are reached, the connection breaks, or the queue drains. Opened for one batch, which it owns until
 * reported. It sees its queue only through {@link LaneQueue}; its own fields are touched on its channel's event
 * loop (or before the channel exists, by the one thread that starts it).
 */
final class Lane {
    /** A reused connection that died before MAIL FROM does not count against a message this often. */
    private static final int MAX_REQUEUES = 3;

    private final LaneQueue queue;
    private final List<Entry> first;
    private volatile Channel channel;
    private volatile SmtpConnection smtp;
    private Connected connected;
    private Destination destination;

    Lane(LaneQueue queue, List<Entry> first) {
        this.queue = queue;
        this.first = first;
    }

    private ReadyMessage head() {
        return first.getFirst().message;
    }

    void start() {
        ReadyMessage m = head();
        EgressRoute route;
        try {
            route = EgressRoutes.from(m.source());
        } catch (IOException | RuntimeException e) {
            completeAll(first, Outcomes.transientFailure(451, new EnhancedStatusCode(4, 3, 0),
                    "Sluice internal: egress source " + m.source().name() + ": " + e.getMessage()));
            queue.laneGone(this);
            return;
        }
        queue.opener().open(m.source(), route, m.plan(), m.message().recipientDomain(), this::onConnected)
                .whenComplete((result, bug) -> {
                    if (bug != null) { // the opener reports every end as a result: a bug
                        completeAll(first, new DeliveryOutcome(SessionOpener.sessionFailure(bug), null, null, null));
                        queue.laneGone(this);
                        return;
                    }
                    opened(result);
                });
    }

    /** On the new connection's loop, before the session reads a byte: count it, and watch it close. */
    private boolean onConnected(Connected c, Destination d) {
        connected = c;
        destination = d;
        channel = c.channel();
        ReadyMessage m = head();
        Map<String, Object> known = new java.util.HashMap<>();
        known.put("ready_queue_name", queue.name());
        if (m.poolName() != null) {
            known.put("egress_pool", m.poolName());
        }
        if (m.source() != null) {
            known.put("egress_source", m.source().name());
        }
        dev.sluice.egress.smtp.SmtpClient.traceSession(channel, known);
        queue.connectionOpened();
        channel.closeFuture().addListener(f -> {
            queue.connectionClosed();
            queue.laneGone(this);
        });
        return !queue.draining();
    }

    private void opened(SessionOpener.Result result) {
        switch (result) {
            case SessionOpener.Result.Unroutable u -> { // planned at submission; the queue refuses these before
                completeAll(first, new DeliveryOutcome(u.result(), null, null, null));
                queue.laneGone(this);
            }
            case SessionOpener.Result.Unreachable u -> queue.connectFailed(this, first, u.result());
            case SessionOpener.Result.Abandoned a -> { // the queue started draining meanwhile
                completeAll(first, Outcomes.shuttingDown());
                channel.close();
            }
            // the SMTP client closed the channel; the close listener frees the lane
            case SessionOpener.Result.Refused r -> completeAll(first, outcome(r.result(), null));
            case SessionOpener.Result.Opened o -> {
                smtp = o.smtp();
                send(queue.startSending(this, first));
            }
        }
    }

    /** A message's trace properties, from its scheduled queue's name, as KumoMTA sets them (absent ones removed). */
    private static Map<String, Object> traceMeta(String queueName) {
        var q = dev.sluice.mta.queue.QueueName.parse(queueName);
        Map<String, Object> meta = new java.util.HashMap<>();
        meta.put("queue_name", q.name());
        meta.put("routing_domain", q.routingDomain());
        meta.put("tenant", q.tenant());
        meta.put("campaign", q.campaign());
        return meta;
    }

    private void send(List<Entry> batch) {
        List<Entry> sendable = new ArrayList<>(batch.size());
        for (Entry e : batch) {
            String bad = Envelope.addressProblem(e.message.message().recipient());
            if (bad == null) {
                sendable.add(e);
            } else {
                queue.complete(e, outcome(new DeliveryResult.Permanent(new SmtpResponse(550,
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
        smtp.traceMessage(traceMeta(sendable.getFirst().message.queueName()));
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
                        queue.complete(e, outcome(r.recipients().getFirst().result(), tls()));
                    }
                }
                if (!again.isEmpty()) queue.requeueFront(this, again);
            } else {
                String tls = tls();
                for (int i = 0; i < sendable.size(); i++) {
                    queue.complete(sendable.get(i), outcome(r.recipients().get(i).result(), tls));
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
        for (Entry e : batch) queue.complete(e, outcome);
    }

    private void next() {
        // the queue's current path, not the one this connection opened with: a changed limit applies at once
        int max = queue.maxDeliveriesPerConnection();
        switch (queue.nextFor(this, smtp.isUsable(), smtp.deliveries(), max)) {
            case LaneQueue.Next.Send s -> send(s.batch());
            case LaneQueue.Next.Retire r -> quit();
            // idle: the queue hands the next batch to offer(), or the client's idle timer QUITs
            case LaneQueue.Next.Idle i -> { }
        }
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
