package dev.sluice.mta.dispatch;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.ReadyMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A dispatch listener that keeps every report, to check that each message is reported exactly once. */
final class Recorder implements Dispatch.Listener {
    record Report(ReadyMessage message, DeliveryOutcome outcome) {}

    final List<Report> reports = new CopyOnWriteArrayList<>();
    private final Map<MessageId, Integer> counts = new ConcurrentHashMap<>();

    @Override
    public void completed(ReadyMessage message, DeliveryOutcome outcome) {
        reports.add(new Report(message, outcome));
        counts.merge(message.message().id(), 1, Integer::sum);
    }

    int size() {
        return reports.size();
    }

    /** Messages reported more than once, with their counts. */
    Map<MessageId, Integer> duplicates() {
        Map<MessageId, Integer> d = new java.util.HashMap<>();
        counts.forEach((id, n) -> {
            if (n > 1) d.put(id, n);
        });
        return d;
    }

    List<DeliveryOutcome> outcomes() {
        return reports.stream().map(Report::outcome).toList();
    }

    long count(Class<? extends DeliveryResult> kind) {
        return reports.stream().filter(r -> kind.isInstance(r.outcome().result())).count();
    }
}
