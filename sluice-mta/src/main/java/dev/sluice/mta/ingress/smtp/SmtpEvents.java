package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.ConnectionMeta;
import dev.sluice.mta.message.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The policy's events for the commands of a session (KumoMTA's {@code smtp_server_ehlo}, {@code _mail_from},
 * {@code _rcpt_to}, {@code _data}, {@code _auth_plain}); the lead wires them to the Lua policy
 * ({@code dev.sluice.mta.policy.PolicySmtpEvents}). Asynchronous so that a Lua call never blocks the event loop:
 * the command's reply waits for the outcome, later pipelined commands wait behind it.
 */
public interface SmtpEvents {
    /** What an event made of a command. */
    sealed interface Outcome {
        /** Go on; {@code value} is what the handler returned (null without a handler). */
        record Passed(Object value) implements Outcome {}

        /** {@code kumo.reject(code, text)}: the command's reply is exactly {@code code text}. */
        record Rejected(int code, String text) implements Outcome {
            /** The reply (one line: line breaks in the text become spaces); a 421 also ends the session, as in KumoMTA. */
            public SmtpReply reply() {
                SmtpReply reply = SmtpReply.of(code, null, text.replaceAll("[\\r\\n]+", " "));
                return code == 421 ? reply.then(SmtpReply.Action.CLOSE) : reply;
            }
        }

        /** The handler failed (a Lua error, a timeout): {@code reason} is {@code file:line: reason}. */
        record Failed(String reason) implements Outcome {}
    }

    Outcome PASS = new Outcome.Passed(null);

    /** Every command passes: no policy. */
    SmtpEvents NONE = new SmtpEvents() {};

    /**
     * A hold on the policy's current version: the session takes one at connection and again when a transaction
     * starts (MAIL FROM) or ends (the end of DATA, RSET), keeps it in its {@link ConnectionMeta#hold()}, and the
     * events of that connection or transaction run it.
     */
    default dev.sluice.mta.ingress.PolicyHold pin() {
        return dev.sluice.mta.ingress.PolicyHold.NONE;
    }

    /**
     * A new connection, before the banner (after a PROXY header): a returned table overrides listener parameters
     * for this connection. {@code listener} is the listening address, such as {@code 0.0.0.0:25}.
     */
    default CompletionStage<Outcome> dynamicParameters(String listener, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }

    /** HELO ({@code extensions} null) or EHLO; a returned list replaces the extensions advertised. */
    default CompletionStage<Outcome> ehlo(String domain, List<String> extensions, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }

    /** MAIL FROM, {@code sender} "" for the null sender. */
    default CompletionStage<Outcome> mailFrom(String sender, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }

    default CompletionStage<Outcome> rcptTo(String recipient, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }

    /**
     * After DATA, once per transaction: {@code message} carries the data as the client sent it (no trace header)
     * and the first recipient; {@code recipients} are all of them. The handler may change its data and meta.
     */
    default CompletionStage<Outcome> data(Message message, List<String> recipients, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }

    /** AUTH PLAIN; passes with {@code true} (or an identity table) to accept the credentials. */
    default CompletionStage<Outcome> authPlain(String authz, String authc, String password, ConnectionMeta meta) {
        return CompletableFuture.completedFuture(PASS);
    }
}
