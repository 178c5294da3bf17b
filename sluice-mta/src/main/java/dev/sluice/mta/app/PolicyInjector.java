package dev.sluice.mta.app;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.ingress.Injector;
import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.LogWriters;
import dev.sluice.mta.log.PeerAddress;
import dev.sluice.mta.log.RecordType;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.policy.ReceptionEvents;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.spool.Spool;
import dev.sluice.policy.PolicyRejection;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingress's {@link Injector}: runs the policy's reception event for each message (on the policy executor),
 * names its queue, stores the messages of a transaction in the spool in one go (one group commit), and only
 * when the store completed logs Reception, schedules them and answers Accepted. A policy error defers the
 * message (451 with the error, logged) rather than dropping it; {@code kumo.reject(code, text)} in the event
 * answers exactly that (4xx temporary, 5xx permanent, logged as a Rejection); either fails the whole transaction
 * (nothing of it is stored). The {@code null} queue discards a message.
 */
public final class PolicyInjector implements Injector {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyInjector.class);

    private final ReceptionEvents events;
    private final Spool spool;
    private final BiConsumer<Message, QueueName> schedule;
    private final LogWriters logs;
    private final Executor policyExecutor;
    private final InstantSource clock;

    /** @param schedule takes each stored message into the scheduled queues ({@code ScheduledQueues::insert}) */
    public PolicyInjector(ReceptionEvents events, Spool spool, BiConsumer<Message, QueueName> schedule, LogWriters logs,
                          Executor policyExecutor, InstantSource clock) {
        this.events = events;
        this.spool = spool;
        this.schedule = schedule;
        this.logs = logs;
        this.policyExecutor = policyExecutor;
        this.clock = clock;
    }

    /** What the reception event made of one message. */
    private sealed interface Received {
        record Keep(Message message, QueueName queue) implements Received {}

        record Done(InjectResult result) implements Received {}
    }

    @Override
    public CompletableFuture<List<InjectResult>> inject(List<Message> messages, ReceptionContext context) {
        return CompletableFuture.supplyAsync(() -> receive(messages, context), policyExecutor)
                .thenCompose(received -> store(received, context));
    }

    @Override
    public dev.sluice.mta.ingress.PolicyHold pin() {
        return events.pin();
    }

    private List<Received> receive(List<Message> messages, ReceptionContext context) {
        List<Received> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            try {
                events.run(m, context);
                QueueName queue = QueueName.of(m);
                out.add(queue.isNull() ? new Received.Done(new InjectResult.Accepted(m.id()))
                        : new Received.Keep(m, queue));
            } catch (PolicyRejection r) {
                InjectResult result = rejected(r);
                LOG.info("{} for {} rejected by the policy: {}", m.id(), m.recipient(), r.getMessage());
                var reply = Reply.of(result);
                log(LogRecord.builder(RecordType.Rejection, clock.instant()).message(m)
                        .response(reply.code(), reply.enhanced(), reply.text(), null)
                        .peerAddress(peer(context)).receptionProtocol(context.protocol()).build(), m);
                out.add(new Received.Done(result));
            } catch (Exception e) {
                String text = "error in policy: " + e.getMessage();
                LOG.warn("{} for {} deferred: {}", m.id(), m.recipient(), text);
                log(LogRecord.builder(RecordType.Rejection, clock.instant()).message(m)
                        .response(451, "4.3.0", text, null)
                        .peerAddress(peer(context)).receptionProtocol(context.protocol()).build(), m);
                out.add(new Received.Done(new InjectResult.TemporaryFailure(451, "4.3.0", oneLine(text))));
            }
            if (out.getLast() instanceof Received.Done d && !(d.result() instanceof InjectResult.Accepted)) {
                return failAll(messages.size(), d.result());
            }
        }
        return out;
    }

    /**
     * One recipient refused or deferred fails the whole transaction, as in KumoMTA (the client gets one DATA
     * reply for all recipients): nothing of it is stored and the remaining events are not run, so a client that
     * retries after a 4xx does not duplicate the copies of the recipients that had passed.
     */
    private static List<Received> failAll(int size, InjectResult failure) {
        List<Received> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(new Received.Done(failure));
        }
        return out;
    }

    private record Reply(int code, String enhanced, String text) {
        static Reply of(InjectResult result) {
            return switch (result) {
                case InjectResult.Rejected r -> new Reply(r.code(), r.enhancedCode(), r.text());
                case InjectResult.TemporaryFailure t -> new Reply(t.code(), t.enhancedCode(), t.text());
                case InjectResult.Accepted a -> new Reply(250, "2.0.0", "OK");
            };
        }
    }

    private static final java.util.regex.Pattern ENHANCED = java.util.regex.Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?: +(.*))?$",
            java.util.regex.Pattern.DOTALL);

    /**
     * {@code kumo.reject(code, text)}: exactly that reply; an enhanced status code at the start of the text is
     * kept as the reply's enhanced code. 4xx: the client should retry; 5xx: refused for good.
     */
    static InjectResult rejected(PolicyRejection r) {
        String text = oneLine(r.text() == null ? "" : r.text()).strip();
        String enhanced = null;
        var m = ENHANCED.matcher(text);
        if (m.matches()) {
            enhanced = m.group(1);
            text = m.group(2) == null ? "" : m.group(2);
        }
        return r.temporary() ? new InjectResult.TemporaryFailure(r.code(), enhanced, text)
                : new InjectResult.Rejected(r.code(), enhanced, text);
    }

    private CompletableFuture<List<InjectResult>> store(List<Received> received, ReceptionContext context) {
        List<Message> keep = received.stream()
                .filter(r -> r instanceof Received.Keep).map(r -> ((Received.Keep) r).message()).toList();
        // the data's digest goes into the spooled meta (batching compares it once the data is off the heap):
        // computed once per data array, which the recipients of a transaction share
        Message.digestAll(keep);
        CompletableFuture<Void> stored = keep.isEmpty() ? CompletableFuture.completedFuture(null) : spool.store(keep);
        // the Reception records reach the log file before the acknowledgement: a SIGKILL cannot leave an
        // acknowledged message without one
        return stored.handle((ok, error) -> results(received, keep, error, context))
                .thenCompose(results -> keep.isEmpty() ? CompletableFuture.completedFuture(results)
                        : logs.written().handle((v, e) -> results));
    }

    private List<InjectResult> results(List<Received> received, List<Message> keep, Throwable error,
                                       ReceptionContext context) {
        if (error != null) {
            LOG.error("spool write of {} message(s) failed; answering 4xx: {}", keep.size(), error.toString());
        }
        List<InjectResult> results = new ArrayList<>(received.size());
        for (Received r : received) {
            switch (r) {
                case Received.Done d -> results.add(d.result());
                case Received.Keep k when error != null && noSpace(error) ->
                        results.add(new InjectResult.TemporaryFailure(452, "4.3.1",
                                "insufficient system storage: spool write failed, try again later"));
                case Received.Keep k when error != null ->
                        results.add(new InjectResult.TemporaryFailure(451, "4.3.0", "spool write failed, try again later"));
                case Received.Keep k -> {
                    log(LogRecord.builder(RecordType.Reception, clock.instant()).message(k.message())
                            .queue(k.queue().name()).response(250, "2.0.0", "OK", null)
                            .peerAddress(peer(context)).receptionProtocol(context.protocol()).build(), k.message());
                    schedule.accept(k.message(), k.queue());
                    results.add(new InjectResult.Accepted(k.message().id()));
                }
            }
        }
        return results;
    }

    /** Whether a spool write failed because its disk is full (ENOSPC, RocksDB's IOError NoSpace). */
    private static boolean noSpace(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No space left on device") || m.contains("NoSpace")) {
                return true;
            }
        }
        return false;
    }

    private static PeerAddress peer(ReceptionContext context) {
        if (context.peer() == null) {
            return null;
        }
        return new PeerAddress(context.heloName() == null ? "" : context.heloName(),
                context.peer().getAddress().getHostAddress());
    }

    private static String oneLine(String text) {
        return text.replaceAll("[\\r\\n]+", " ");
    }

    private void log(LogRecord record, Message m) {
        try {
            logs.log(record, m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
