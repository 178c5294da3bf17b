package dev.sluice.mta.ingress;

import dev.sluice.mta.message.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where ingress (ESMTP, HTTP) hands messages over. The implementation runs the policy's reception event,
 * writes the messages to the spool, and completes only once they are durable: the ESMTP server answers 250
 * (and the HTTP API counts a success) only after that. It never blocks its caller: the result is a future.
 */
public interface Injector {

    /**
     * @param messages one per recipient of a transaction (they share the data)
     * @param context  who handed them over, for the policy event and the Received header
     */
    CompletableFuture<List<InjectResult>> inject(List<Message> messages, ReceptionContext context);

    /**
     * A hold on the policy's current version, for a request whose messages must all run it (an HTTP inject
     * request); the caller closes it when the request is done. {@link PolicyHold#NONE} without a policy.
     */
    default PolicyHold pin() {
        return PolicyHold.NONE;
    }
}
