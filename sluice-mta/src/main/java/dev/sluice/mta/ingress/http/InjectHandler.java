package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.ingress.Injector;
import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.ingress.http.InjectRequest.Recipient;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/inject/v1}: parses the request, generates one message per recipient, hands each to the
 * {@link Injector} on its own and answers once every one is settled. Generation runs on {@code executor}, never
 * on the event loop.
 */
final class InjectHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(InjectHandler.class);

    private final Injector injector;
    private final Admission admission;
    private final Supplier<InetSocketAddress> localAddress;
    private final String hostname;
    private final Executor executor;
    private final Clock clock;

    InjectHandler(Injector injector, Admission admission, Supplier<InetSocketAddress> localAddress, String hostname,
                  Executor executor, Clock clock) {
        this.injector = injector;
        this.admission = admission;
        this.localAddress = localAddress;
        this.hostname = hostname;
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<HttpResponse> handle(HttpRequest http) {
        Optional<String> refused = admission.refuseReason();
        if (refused.isPresent()) {
            return CompletableFuture.completedFuture(HttpResponse.text(503, refused.get() + "\n"));
        }
        InjectRequest request;
        try {
            request = InjectRequestParser.parse(http.body());
        } catch (InjectRequestException e) {
            return CompletableFuture.completedFuture(HttpResponse.text(e.status(), e.getMessage() + "\n"));
        }
        // every message of the request runs the policy version current now, even across a reload
        dev.sluice.mta.ingress.PolicyHold pinned = injector.pin();
        CompletableFuture<HttpResponse> response;
        try {
            response = CompletableFuture.supplyAsync(() -> generate(request, http.peer()), executor)
                    .thenCompose(generated -> generated.error() != null
                            ? CompletableFuture.completedFuture(generated.error())
                            : inject(generated, http.peer(), auth(http), pinned));
        } catch (RuntimeException e) {
            pinned.close();
            throw e;
        }
        response.whenComplete((r, e) -> pinned.close());
        return response;
    }

    /** Either the messages (and per-recipient generation failures), or a 422 for the whole request. */
    private record Generated(List<Message> messages, List<String> failedRecipients, List<String> errors,
                             HttpResponse error) {}

    private Generated generate(InjectRequest request, InetSocketAddress peer) {
        MessageGenerator generator = new MessageGenerator(request, hostname);
        try {
            generator.check();
        } catch (InjectRequestException e) {
            return new Generated(List.of(), List.of(), List.of(), HttpResponse.text(e.status(), e.getMessage() + "\n"));
        }
        Instant now = clock.instant();
        List<Message> messages = new ArrayList<>(request.recipients().size());
        List<String> failed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Recipient r : request.recipients()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            if (!r.metadata().isEmpty()) {
                meta.put("rcpt_meta", r.metadata());
            }
            MessageId id = MessageId.next(now);
            try {
                byte[] data = generator.generate(r, id, now, peer, meta);
                messages.add(new Message(id, request.envelopeSender(), r.email(), meta, data));
            } catch (GenerationFailure e) {
                failed.add(r.email());
                errors.add(r.email() + ": " + e.getMessage());
            }
        }
        return new Generated(messages, failed, errors, null);
    }

    /**
     * KumoMTA's {@code http_auth}: the Basic user accepted by {@code http_server_validate_auth_basic}, else the
     * trusted peer's address.
     */
    private static String auth(HttpRequest http) {
        return http.user() != null ? http.user() : http.peer().getAddress().getHostAddress();
    }

    private CompletableFuture<HttpResponse> inject(Generated generated, InetSocketAddress peer, String auth,
                                                   dev.sluice.mta.ingress.PolicyHold pinned) {
        generated.messages().forEach(m -> m.setMeta("http_auth", auth));
        ReceptionContext context = new ReceptionContext("HTTP", peer, localAddress.get(), null,
                Map.of("http_auth", auth), null, pinned);
        List<CompletableFuture<String>> outcomes = new ArrayList<>(generated.messages().size());
        java.util.concurrent.atomic.AtomicInteger noStorage = new java.util.concurrent.atomic.AtomicInteger();
        for (Message m : generated.messages()) {
            CompletableFuture<List<InjectResult>> future;
            try {
                future = injector.inject(List.of(m), context);
            } catch (RuntimeException e) {
                future = CompletableFuture.failedFuture(e);
            }
            // null = accepted, otherwise the error text for this recipient
            outcomes.add(future.handle((results, error) -> {
                if (results != null && results.size() == 1
                        && results.getFirst() instanceof InjectResult.TemporaryFailure t && t.code() == 452) {
                    noStorage.incrementAndGet();
                }
                return outcome(m, results, error);
            }));
        }
        return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).thenApply(done -> {
            int success = 0;
            List<String> failed = new ArrayList<>(generated.failedRecipients());
            List<String> errors = new ArrayList<>(generated.errors());
            for (int i = 0; i < outcomes.size(); i++) {
                String error = outcomes.get(i).join();
                if (error == null) {
                    success++;
                } else {
                    failed.add(generated.messages().get(i).recipient());
                    errors.add(error);
                }
            }
            InjectResponse response = new InjectResponse(success, failed.size(), failed, errors);
            // nothing taken because the spool's storage is full: 507 Insufficient Storage, so a client retries
            boolean storageFull = success == 0 && noStorage.get() > 0 && noStorage.get() == outcomes.size()
                    && generated.failedRecipients().isEmpty();
            return HttpResponse.json(storageFull ? 507 : 200, response.toJson());
        });
    }

    private static String outcome(Message m, List<InjectResult> results, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            log.warn("http inject of {} for {} failed", m.id(), m.recipient(), cause);
            return m.recipient() + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        }
        if (results == null || results.size() != 1) {
            return m.recipient() + ": injector answered " + (results == null ? "nothing" : results.size() + " results");
        }
        return switch (results.getFirst()) {
            case InjectResult.Accepted a -> null;
            case InjectResult.Rejected r -> m.recipient() + ": " + describe(r.code(), r.enhancedCode(), r.text());
            case InjectResult.TemporaryFailure t -> m.recipient() + ": " + describe(t.code(), t.enhancedCode(), t.text());
        };
    }

    private static String describe(int code, String enhanced, String text) {
        return code + (enhanced == null || enhanced.isEmpty() ? "" : " " + enhanced) + " " + text;
    }
}
