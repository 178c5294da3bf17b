package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.message.SpillFile;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of DATA: refuses data that broke a limit, otherwise prepends the Received header, builds one message per
 * recipient and hands them to the {@link dev.sluice.mta.ingress.Injector}. The reply is 250 only once the injector's
 * future says every message was accepted; otherwise the first refusal's code (all recipients share one reply,
 * since the messages share one DATA).
 */
final class MessageReceiver {
    private static final Logger log = LoggerFactory.getLogger(MessageReceiver.class);
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /** The files of received data handed to the injector: closed when it is done, not when the reply is decided. */
    private final Map<SpillFile, Boolean> injecting = new java.util.concurrent.ConcurrentHashMap<>();

    /** Transactions handed to the injector whose reply has not been decided yet. */
    int inFlight() {
        return inFlight.get();
    }

    /**
     * The reply to the end of DATA. Data received into a file ({@link SmtpInput.DataEnd#spilled()}) stays there, with
     * the Received header in front of it on the heap, until the spool holds it; the file is closed once the
     * injector is done with the messages (also after data_processing_timeout answered already), or at once when they
     * never reach it.
     */
    CompletionStage<SmtpReply> receive(SmtpSession session, SmtpInput.DataEnd end) {
        CompletionStage<SmtpReply> reply;
        try {
            reply = decide(session, end);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        // the transaction ends with its reply: the next commands run the policy version current then
        reply = reply.whenComplete((r, error) -> session.repin());
        if (end.spilled() != null) {
            SpillFile file = end.spilled().file();
            reply = reply.whenComplete((r, error) -> {
                if (!injecting.containsKey(file)) {
                    file.close();
                }
            });
        }
        return reply;
    }

    private CompletionStage<SmtpReply> decide(SmtpSession session, SmtpInput.DataEnd end) {
        String sender = session.sender();
        List<String> recipients = session.recipients();
        session.resetTransaction();
        if (end.tooBig()) {
            return SmtpReply.of(552, "5.3.4", "Error: Too much mail data").now();
        }
        if (end.lineTooLong()) {
            return Replies.LINE_TOO_LONG.now();
        }
        if (end.bareLineEndings() && session.params().invalidLineEndings() == InvalidLineEndings.DENY) {
            return SmtpReply.of(552, "5.6.0", "message data must use CRLF line endings (no bare CR or LF)").now();
        }
        if (end.spillFailure() != null) {
            log.warn("SMTP session {}: cannot write the message data to {}: {}", session.connectionId(),
                    session.services().spillDirectory(), end.spillFailure().toString());
            return SmtpReply.of(451, "4.3.0", "local error in processing, try again later").now();
        }
        EsmtpServices services = session.services();
        Instant now = services.clock().instant();
        MessageId firstId = MessageId.next(now);
        var context = session.receptionContext();
        // KumoMTA: each message's meta starts as a copy of the connection meta (authn_id, what the policy set, ...)
        Map<String, Object> meta = new LinkedHashMap<>(context.connMeta());
        // smtp_server_data sees the data as the client sent it (no trace header yet) and every recipient
        Message transaction = end.spilled() != null
                ? new Message(firstId, sender, recipients.getFirst(), meta, end.spilled())
                : new Message(firstId, sender, recipients.getFirst(), meta, end.data());
        return EventReplies.<CompletionStage<SmtpReply>>after(services.events().data(transaction, recipients,
                        session.meta()), "smtp_server_data", session,
                value -> inject(session, transaction, recipients, context, now), CompletableFuture::completedFuture)
                .thenCompose(reply -> reply);
    }

    private CompletionStage<SmtpReply> inject(SmtpSession session, Message transaction, List<String> recipients,
                                              dev.sluice.mta.ingress.ReceptionContext sessionContext, Instant now) {
        // the reception events run the transaction's version, even when the reply goes first (data_processing_timeout)
        dev.sluice.mta.ingress.PolicyHold pinned = session.meta().hold().share();
        var context = sessionContext.withHold(pinned);
        EsmtpServices services = session.services();
        MessageId firstId = transaction.id();
        byte[] received = ReceivedHeader.build(session.heloName(), session.peer().getAddress(), session.hostname(),
                session.esmtp(), session.tls(), firstId, ZonedDateTime.ofInstant(now, services.clock().getZone()));
        Map<String, Object> meta = transaction.metaMap();
        String sender = transaction.sender();
        List<Message> messages = new ArrayList<>(recipients.size());
        if (transaction.spilled() != null) {
            // still in its file (smtp_server_data did not replace it): the recipients share one view of it
            var data = transaction.spilled().withPrefix(received);
            messages.add(new Message(firstId, sender, recipients.getFirst(), meta, data));
            for (String r : recipients.subList(1, recipients.size())) {
                messages.add(new Message(MessageId.next(now), sender, r, meta, data));
            }
        } else {
            byte[] body = transaction.data();
            byte[] data = new byte[received.length + body.length];
            System.arraycopy(received, 0, data, 0, received.length);
            System.arraycopy(body, 0, data, received.length, body.length);
            // the first message carries the id named in the Received header
            messages.add(new Message(firstId, sender, recipients.getFirst(), meta, data));
            messages.addAll(Message.perRecipient(now, sender, recipients.subList(1, recipients.size()), meta, data));
        }

        CompletableFuture<List<InjectResult>> future;
        SpillFile file = transaction.spilled() == null ? null : transaction.spilled().file();
        if (file != null) {
            injecting.put(file, Boolean.TRUE);
        }
        try {
            future = services.injector().inject(messages, context);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        if (file != null) {
            future.whenComplete((r, e) -> {
                file.close();
                injecting.remove(file);
            });
        }
        future.whenComplete((r, e) -> pinned.close());
        long timeoutMillis = session.params().dataProcessingTimeout().toMillis();
        inFlight.incrementAndGet();
        // copy(): the timeout must not complete the injector's own future
        return future.copy().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((results, error) -> {
            inFlight.decrementAndGet();
            if (error instanceof java.util.concurrent.TimeoutException
                    || error != null && error.getCause() instanceof java.util.concurrent.TimeoutException) {
                log.warn("injection of {} took longer than data_processing_timeout", firstId);
                return SmtpReply.of(451, "4.4.5", "data processing timed out, try again later");
            }
            if (error != null) {
                log.warn("injection of {} failed on {}", firstId, session.connectionId(), error);
                return SmtpReply.of(451, "4.3.0", "local error in processing, try again later");
            }
            return replyFor(results, messages);
        });
    }

    private static SmtpReply replyFor(List<InjectResult> results, List<Message> messages) {
        if (results == null || results.size() != messages.size()) {
            return SmtpReply.of(451, "4.3.0", "local error in processing, try again later");
        }
        for (InjectResult r : results) {
            switch (r) {
                case InjectResult.Rejected x -> {
                    return SmtpReply.of(x.code(), x.enhancedCode(), x.text());
                }
                case InjectResult.TemporaryFailure x -> {
                    return SmtpReply.of(x.code(), x.enhancedCode(), x.text());
                }
                case InjectResult.Accepted a -> { }
            }
        }
        StringBuilder ids = new StringBuilder();
        for (InjectResult r : results) {
            ids.append(ids.isEmpty() ? "" : ",").append(((InjectResult.Accepted) r).id());
        }
        return SmtpReply.of(250, "2.0.0", "OK ids=" + ids);
    }
}
