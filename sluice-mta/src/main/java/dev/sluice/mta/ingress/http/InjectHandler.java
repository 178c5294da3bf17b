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
import dev.sluice.mta.message.SpillFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
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
 *
 * <p>Large requests are bounded like ESMTP's DATA: a body over {@link #LARGE_BODY} is written to a file without a name
 * in the spill directory at once (its array let go of), then parsed from there, one large request at a time per
 * listener, so that waiting requests hold no heap; a generated message over {@link #SPILL_AT} is written into such a
 * file as it is encoded (never one array) and the spool copies it from there; every file is closed once its message
 * is spooled or refused, before the answer.
 */
final class InjectHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(InjectHandler.class);

    private final Injector injector;
    private final Admission admission;
    private final Supplier<InetSocketAddress> localAddress;
    private final String hostname;
    private final Executor executor;
    private final Clock clock;
    private final java.nio.file.Path spillDirectory; // null: everything on the heap
    /** One large request parsed and generated at a time: its JSON tree and content are the heap it costs. */
    private final java.util.concurrent.Semaphore largeAtOnce = new java.util.concurrent.Semaphore(1, true);

    /** A body larger than this is written to a file before it waits for its turn to be parsed. */
    static final int LARGE_BODY = 1 << 20;
    /** A generated message longer than this (in chars) is written to a file, as ESMTP's DATA past 256 KiB. */
    static final int SPILL_AT = 256 * 1024;

    InjectHandler(Injector injector, Admission admission, Supplier<InetSocketAddress> localAddress, String hostname,
                  Executor executor, Clock clock, java.nio.file.Path spillDirectory) {
        this.injector = injector;
        this.admission = admission;
        this.localAddress = localAddress;
        this.hostname = hostname;
        this.executor = executor;
        this.clock = clock;
        this.spillDirectory = spillDirectory;
    }

    @Override
    public CompletableFuture<HttpResponse> handle(HttpRequest http) {
        Optional<String> refused = admission.refuseReason();
        if (refused.isPresent()) {
            return CompletableFuture.completedFuture(HttpResponse.text(503, refused.get() + "\n"));
        }
        // nothing below holds the request: its body is let go of as soon as it is parsed (or written to a file)
        InetSocketAddress peer = http.peer();
        String auth = auth(http);
        CompletableFuture<Generated> generating;
        if (spillDirectory != null && http.body().length > LARGE_BODY) {
            var body = new java.util.concurrent.atomic.AtomicReference<>(http.body());
            generating = CompletableFuture.supplyAsync(() -> generateLarge(body, peer), executor);
        } else {
            InjectRequest request;
            try {
                request = InjectRequestParser.parse(http.body());
            } catch (InjectRequestException e) {
                return CompletableFuture.completedFuture(HttpResponse.text(e.status(), e.getMessage() + "\n"));
            }
            generating = CompletableFuture.supplyAsync(() -> generate(request, peer), executor);
        }
        // every message of the request runs the policy version current now, even across a reload
        dev.sluice.mta.ingress.PolicyHold pinned = injector.pin();
        CompletableFuture<HttpResponse> response;
        try {
            response = generating.thenCompose(generated -> {
                if (generated.error() != null) {
                    generated.release();
                    return CompletableFuture.completedFuture(generated.error());
                }
                return inject(generated, peer, auth, pinned).whenComplete((r, e) -> generated.release());
            });
        } catch (RuntimeException e) {
            pinned.close();
            throw e;
        }
        response.whenComplete((r, e) -> pinned.close());
        return response;
    }

    /**
     * Either the messages (and per-recipient generation failures), or a 4xx for the whole request; {@code files} are
     * the files large messages were written to, closed by {@link #release} once the messages are spooled or refused.
     */
    private record Generated(List<Message> messages, List<String> failedRecipients, List<String> errors,
                             HttpResponse error, List<SpillFile> files) {
        static Generated failed(HttpResponse error) {
            return new Generated(List.of(), List.of(), List.of(), error, List.of());
        }

        void release() {
            files.forEach(SpillFile::close);
        }
    }

    /** A large body: into a file at once, then parsed from there and generated, one such request at a time. */
    private Generated generateLarge(java.util.concurrent.atomic.AtomicReference<byte[]> body, InetSocketAddress peer) {
        try (SpillFile file = SpillFile.create(spillDirectory)) {
            byte[] bytes = body.getAndSet(null);
            file.append(bytes, 0, bytes.length);
            bytes = null; // the only reference left was the holder's
            largeAtOnce.acquireUninterruptibly();
            try {
                InjectRequest request = InjectRequestParser.parse(file.finish().stream(0));
                return generate(request, peer);
            } finally {
                largeAtOnce.release();
            }
        } catch (InjectRequestException e) {
            return Generated.failed(HttpResponse.text(e.status(), e.getMessage() + "\n"));
        } catch (java.io.IOException e) {
            log.warn("http inject: cannot write the request body to {}: {}", spillDirectory, e.toString());
            return Generated.failed(HttpResponse.text(503, "cannot take the request now: " + e.getMessage() + "\n"));
        }
    }

    private Generated generate(InjectRequest request, InetSocketAddress peer) {
        MessageGenerator generator = new MessageGenerator(request, hostname);
        try {
            generator.check();
        } catch (InjectRequestException e) {
            return Generated.failed(HttpResponse.text(e.status(), e.getMessage() + "\n"));
        }
        Instant now = clock.instant();
        List<Message> messages = new ArrayList<>(request.recipients().size());
        List<String> failed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<SpillFile> files = new ArrayList<>();
        for (Recipient r : request.recipients()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            if (!r.metadata().isEmpty()) {
                meta.put("rcpt_meta", r.metadata());
            }
            MessageId id = MessageId.next(now);
            try {
                MessageGenerator.Text text = generator.text(r, id, now, peer, meta);
                if (spillDirectory != null && text.length() > SPILL_AT) {
                    SpillFile file = SpillFile.create(spillDirectory);
                    files.add(file);
                    write(text, file);
                    messages.add(new Message(id, request.envelopeSender(), r.email(), meta, file.finish()));
                } else {
                    messages.add(new Message(id, request.envelopeSender(), r.email(), meta,
                            (text.trace() + text.message()).getBytes(StandardCharsets.UTF_8)));
                }
            } catch (GenerationFailure e) {
                failed.add(r.email());
                errors.add(r.email() + ": " + e.getMessage());
            } catch (java.io.IOException e) {
                files.forEach(SpillFile::close);
                log.warn("http inject: cannot write a generated message to {}: {}", spillDirectory, e.toString());
                return Generated.failed(HttpResponse.text(503, "cannot take the request now: " + e.getMessage() + "\n"));
            }
        }
        return new Generated(messages, failed, errors, null, files);
    }

    /** Encodes the text as UTF-8 into the file, 64 KiB at a time (never the whole message as one array). */
    private static void write(MessageGenerator.Text text, SpillFile file) throws java.io.IOException {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        ByteBuffer out = ByteBuffer.allocate(64 * 1024);
        String[] parts = {text.trace(), text.message()};
        for (int i = 0; i < parts.length; i++) {
            CharBuffer in = CharBuffer.wrap(parts[i]);
            while (encoder.encode(in, out, i == parts.length - 1).isOverflow()) {
                file.append(out.array(), 0, out.position());
                out.clear();
            }
        }
        encoder.flush(out);
        file.append(out.array(), 0, out.position());
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
