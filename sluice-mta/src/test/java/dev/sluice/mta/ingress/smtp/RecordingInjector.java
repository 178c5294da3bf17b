package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.ingress.Injector;
import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.message.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** Records every injection; answers with {@link #answer} (accept all by default), possibly later. */
final class RecordingInjector implements Injector {
    record Call(List<Message> messages, ReceptionContext context, CompletableFuture<List<InjectResult>> result) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile boolean hold;
    volatile Function<List<Message>, List<InjectResult>> answer =
            ms -> ms.stream().<InjectResult>map(m -> new InjectResult.Accepted(m.id())).toList();

    @Override
    public CompletableFuture<List<InjectResult>> inject(List<Message> messages, ReceptionContext context) {
        var future = new CompletableFuture<List<InjectResult>>();
        calls.add(new Call(messages, context, future));
        if (!hold) {
            future.complete(answer.apply(messages));
        }
        return future;
    }

    /** Completes a held call with the current answer. */
    void release(Call call) {
        call.result().complete(answer.apply(call.messages()));
    }

    List<Message> messages() {
        return calls.stream().flatMap(c -> c.messages().stream()).toList();
    }
}
