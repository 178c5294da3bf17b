package dev.sluice.egress.smtp;

import java.util.List;

/**
 * One result per recipient of the envelope, in the envelope's order.
 *
 * @param recipients per-recipient outcomes
 * @param pipelined  whether MAIL, RCPT and DATA were sent in one PIPELINING batch
 */
public record TransactionResult(List<RecipientResult> recipients, boolean pipelined) {
    public TransactionResult {
        recipients = List.copyOf(recipients);
    }

    public DeliveryResult resultFor(String recipient) {
        return recipients.stream().filter(r -> r.recipient().equals(recipient)).findFirst()
                .map(RecipientResult::result)
                .orElseThrow(() -> new IllegalArgumentException("no such recipient in this transaction: " + recipient));
    }

    public boolean allDelivered() {
        return recipients.stream().allMatch(r -> r.result() instanceof DeliveryResult.Delivered);
    }

    /** The same failure for every recipient (MAIL refused, local refusal, lost connection before RCPT). */
    static TransactionResult all(List<String> recipients, DeliveryResult result, boolean pipelined) {
        return new TransactionResult(recipients.stream().map(r -> new RecipientResult(r, result)).toList(), pipelined);
    }
}
