package dev.sluice.mta.queue;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.LogWriters;
import dev.sluice.mta.log.PeerAddress;
import dev.sluice.mta.log.RecordType;
import dev.sluice.mta.log.Response;
import dev.sluice.mta.message.Message;
import dev.sluice.policy.egress.QueueProtocol;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds and writes the queue layer's log records (Delivery, TransientFailure, Bounce, Expiration). */
final class QueueRecords {
    private static final Logger LOG = LoggerFactory.getLogger(QueueRecords.class);
    private final LogWriters logs;

    QueueRecords(LogWriters logs) {
        this.logs = logs;
    }

    static Response response(SmtpResponse r) {
        return new Response(r.code(), r.enhanced() == null ? null
                : new Response.EnhancedCode(r.enhanced().klass(), r.enhanced().subject(), r.enhanced().detail()),
                r.content(), r.command());
    }

    static RecordType typeOf(DeliveryResult result) {
        return switch (result) {
            case DeliveryResult.Delivered d -> RecordType.Delivery;
            case DeliveryResult.Transient t -> RecordType.TransientFailure;
            case DeliveryResult.Permanent p -> RecordType.Bounce;
        };
    }

    static SmtpResponse responseOf(DeliveryResult result) {
        return switch (result) {
            case DeliveryResult.Delivered d -> d.response();
            case DeliveryResult.Transient t -> t.response();
            case DeliveryResult.Permanent p -> p.response();
        };
    }

    /** The record of one attempt that went through dispatch. */
    void attempt(ReadyMessage ready, DeliveryOutcome outcome, Instant now) {
        var b = LogRecord.builder(typeOf(outcome.result()), now).message(ready.message())
                .queue(ready.queueName())
                .site(ready.siteName())
                .response(response(responseOf(outcome.result())))
                .numAttempts(ready.attempt())
                .egressPool(ready.poolName())
                .egressSource(ready.source().name())
                .sourceAddress(outcome.source())
                .deliveryProtocol(ready.protocol() instanceof QueueProtocol.CustomLua ? "Lua" : "ESMTP");
        if (ready.protocol() instanceof QueueProtocol.CustomLua lua) {
            b.peerAddress(new PeerAddress("Lua via " + lua.constructor(), "0.0.0.0")); // as KumoMTA logs it
        } else if (outcome.destination() != null) {
            b.peerAddress(PeerAddress.of(outcome.destination().mxName(), outcome.destination().address().getAddress()));
        }
        if (outcome.tls() != null) {
            int space = outcome.tls().indexOf(' ');
            b.tlsProtocolVersion(space < 0 ? outcome.tls() : outcome.tls().substring(0, space));
            if (space > 0) {
                b.tlsCipher(outcome.tls().substring(space + 1));
            }
        }
        write(b.build(), ready.message());
    }

    /** A record decided by the queue itself (no connection): expiry, prohibited destination, policy error. */
    void local(RecordType type, Message m, String queue, String site, int code, String enhanced, String text,
               int attempts, String pool, String source, Instant now) {
        write(LogRecord.builder(type, now).message(m).queue(queue).site(site)
                .response(Response.of(code, enhanced, text, null)).numAttempts(attempts)
                .egressPool(pool).egressSource(source).build(), m);
    }

    private void write(LogRecord record, Message m) {
        try {
            logs.log(record, m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while logging {} of {}", record.type(), record.id());
        }
    }
}
