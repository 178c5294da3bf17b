package dev.sluice.mta.policy;

import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.message.Message;
import dev.sluice.net.IpLiterals;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs the reception event of a message in the policy: {@code smtp_server_message_received(msg, conn_meta)}
 * for ESMTP, {@code http_message_generated(msg, auth)} for HTTP. Blocks on Lua: call it off the event loop.
 */
public final class ReceptionEvents {
    public static final String SMTP_EVENT = "smtp_server_message_received";
    public static final String HTTP_EVENT = "http_message_generated";

    private final Policy policy;

    public ReceptionEvents(Policy policy) {
        this.policy = policy;
    }

    /** Runs the event for {@code message}; the handler may change its meta and data. */
    public void run(Message message, ReceptionContext context) throws PolicyException {
        boolean http = "HTTP".equals(context.protocol());
        String event = http ? HTTP_EVENT : SMTP_EVENT;
        var calls = PolicyVersionHold.calls(policy, context.effectiveHold()); // the transaction's version
        if (!calls.hasHandler(event)) {
            return;
        }
        Object second = http ? context.connMeta().get("http_auth") : connMetaArgument(context);
        calls.call(event, new LuaMessage(message), second);
    }

    /** A hold on the policy's current version (an HTTP inject request's). */
    public dev.sluice.mta.ingress.PolicyHold pin() {
        return PolicyVersionHold.pin(policy);
    }

    /**
     * The {@code conn_meta} argument: KumoMTA's connection metadata object over the session's live meta, or, for a
     * context without one, the table {@link #connMeta} makes.
     */
    public static Object connMetaArgument(ReceptionContext context) {
        return context.live() != null ? new LuaConnMeta(context.live()) : connMeta(context);
    }

    /** The {@code conn_meta} table: the ingress's connection meta plus the addresses and the HELO name. */
    public static Map<String, Object> connMeta(ReceptionContext context) {
        Map<String, Object> meta = new LinkedHashMap<>(context.connMeta());
        if (context.peer() != null) {
            meta.putIfAbsent("received_from", IpLiterals.format(context.peer()));
        }
        if (context.local() != null) {
            meta.putIfAbsent("received_via", IpLiterals.format(context.local()));
        }
        if (context.heloName() != null) {
            meta.putIfAbsent("ehlo_domain", context.heloName());
        }
        meta.putIfAbsent("reception_protocol", context.protocol());
        return meta;
    }
}
