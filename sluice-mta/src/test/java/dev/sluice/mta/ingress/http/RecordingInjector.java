package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.ingress.Injector;
import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.message.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** Test injector: records every call and answers what {@code answer} says for the message's recipient. */
final class RecordingInjector implements Injector {
    record Call(List<Message> messages, ReceptionContext context) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Function<Message, CompletableFuture<InjectResult>> answer;

    RecordingInjector() {
        this(m -> CompletableFuture.completedFuture(new InjectResult.Accepted(m.id())));
    }

    RecordingInjector(Function<Message, CompletableFuture<InjectResult>> answer) {
        this.answer = answer;
    }

    @Override
    public CompletableFuture<List<InjectResult>> inject(List<Message> messages, ReceptionContext context) {
        calls.add(new Call(List.copyOf(messages), context));
        return answer.apply(messages.getFirst()).thenApply(List::of);
    }

    List<Message> messages() {
        return calls.stream().flatMap(c -> c.messages().stream()).toList();
    }

    Message messageFor(String recipient) {
        return messages().stream().filter(m -> m.recipient().equals(recipient)).findFirst()
                .orElseThrow(() -> new AssertionError("no message for " + recipient + " in " + messages()));
    }
}
