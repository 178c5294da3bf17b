package dev.sluice.mta.policy;

import dev.sluice.mta.ingress.ConnectionMeta;
import dev.sluice.mta.ingress.smtp.SmtpEvents;
import dev.sluice.mta.message.Message;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyRejection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The ESMTP server's command events, run in the policy with KumoMTA's arguments: {@code smtp_server_ehlo(domain,
 * conn_meta[, extensions])}, {@code smtp_server_mail_from(sender, conn_meta)} and {@code smtp_server_rcpt_to(recipient,
 * conn_meta)} (EnvelopeAddress objects), {@code smtp_server_data(msg, conn_meta)} and {@code smtp_server_auth_plain(authz,
 * authc, password, conn_meta)}, and per connection {@code smtp_server_get_dynamic_parameters(listener, conn_meta)}.
 * {@code conn_meta} is a {@link LuaConnMeta} over the session's meta. Each runs in the policy version the session
 * holds ({@link #pin()}: the connection's, then each transaction's from MAIL FROM to its end). An event without a
 * handler passes at once, without a trip to the policy's threads.
 */
public final class PolicySmtpEvents implements SmtpEvents {
    public static final String EHLO = "smtp_server_ehlo";
    public static final String MAIL_FROM = "smtp_server_mail_from";
    public static final String RCPT_TO = "smtp_server_rcpt_to";
    public static final String DATA = "smtp_server_data";
    public static final String AUTH_PLAIN = "smtp_server_auth_plain";
    public static final String DYNAMIC_PARAMETERS = "smtp_server_get_dynamic_parameters";

    private final Policy policy;

    public PolicySmtpEvents(Policy policy) {
        this.policy = policy;
    }

    @Override
    public CompletionStage<Outcome> dynamicParameters(String listener, ConnectionMeta meta) {
        return call(meta, DYNAMIC_PARAMETERS, listener, new LuaConnMeta(meta));
    }

    @Override
    public CompletionStage<Outcome> ehlo(String domain, List<String> extensions, ConnectionMeta meta) {
        return extensions == null ? call(meta, EHLO, domain, new LuaConnMeta(meta))
                : call(meta, EHLO, domain, new LuaConnMeta(meta), extensions);
    }

    @Override
    public CompletionStage<Outcome> mailFrom(String sender, ConnectionMeta meta) {
        return call(meta, MAIL_FROM, new EnvelopeAddress(sender), new LuaConnMeta(meta));
    }

    @Override
    public CompletionStage<Outcome> rcptTo(String recipient, ConnectionMeta meta) {
        return call(meta, RCPT_TO, new EnvelopeAddress(recipient), new LuaConnMeta(meta));
    }

    @Override
    public CompletionStage<Outcome> data(Message message, List<String> recipients, ConnectionMeta meta) {
        return call(meta, DATA, new LuaMessage(message, recipients), new LuaConnMeta(meta));
    }

    @Override
    public CompletionStage<Outcome> authPlain(String authz, String authc, String password, ConnectionMeta meta) {
        return call(meta, AUTH_PLAIN, authz, authc, password, new LuaConnMeta(meta));
    }

    @Override
    public dev.sluice.mta.ingress.PolicyHold pin() {
        return PolicyVersionHold.pin(policy);
    }

    /** In the version the session holds ({@link ConnectionMeta#hold()}), else the current one. */
    private CompletionStage<Outcome> call(ConnectionMeta meta, String event, Object... args) {
        var calls = PolicyVersionHold.calls(policy, meta.hold());
        if (!calls.hasHandler(event)) {
            return CompletableFuture.completedFuture(PASS);
        }
        return calls.callAsync(event, args).handle((value, error) -> {
            if (error == null) {
                return new Outcome.Passed(value);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            return switch (cause) {
                case PolicyRejection r -> new Outcome.Rejected(r.code(), r.text() == null ? "" : r.text());
                case PolicyException e -> new Outcome.Failed(e.getMessage());
                default -> new Outcome.Failed(cause.toString());
            };
        });
    }
}
