package dev.sluice.egress.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One message for one transaction.
 *
 * @param sender        MAIL FROM address without brackets ("" for the null sender)
 * @param recipients    RCPT TO addresses without brackets; at most the options' maxRecipientsPerBatch
 * @param message       the RFC 5322 message; LF line ends are fine (sent as CRLF), no dot-stuffing needed
 * @param needs8bit     the message has 8-bit content: requires 8BITMIME, sent with BODY=8BITMIME
 * @param needsSmtputf8 addresses or headers are UTF-8: requires SMTPUTF8, sent with the SMTPUTF8 parameter
 */
public record Envelope(String sender, List<String> recipients, byte[] message, boolean needs8bit, boolean needsSmtputf8) {

    public Envelope {
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) throw new IllegalArgumentException("an envelope needs at least one recipient");
        Objects.requireNonNull(message, "message");
        for (String a : recipients) checkAddress(a);
        checkAddress(sender);
    }

    /**
     * The needs are detected: needs8bit when any message byte is 0x80 or above, needsSmtputf8 when an
     * address is not ASCII. (UTF-8 header fields without UTF-8 addresses are treated as 8-bit only.)
     */
    public static Envelope of(String sender, List<String> recipients, byte[] message) {
        boolean eightBit = false;
        for (byte b : message) {
            if (b < 0) {
                eightBit = true;
                break;
            }
        }
        boolean utf8 = !isAscii(sender) || recipients.stream().anyMatch(r -> !isAscii(r));
        return new Envelope(sender, recipients, message, eightBit || utf8, utf8);
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    /** Splits into envelopes of at most {@code maxRecipients} recipients each, sharing the message bytes. */
    public List<Envelope> batches(int maxRecipients) {
        List<Envelope> out = new ArrayList<>();
        for (List<String> part : RecipientBatches.split(recipients, maxRecipients)) {
            out.add(new Envelope(sender, part, message, needs8bit, needsSmtputf8));
        }
        return out;
    }

    private static void checkAddress(String a) {
        String problem = addressProblem(a);
        if (problem != null) throw new IllegalArgumentException(problem);
    }

    /** Why {@code a} cannot go in an envelope, or null when it can. */
    public static String addressProblem(String a) {
        // A CR, LF or bracket would let an address inject commands into the session.
        if (a.chars().anyMatch(c -> c == '\r' || c == '\n' || c == '<' || c == '>')) {
            return "invalid address: " + a.replace("\r", "\\r").replace("\n", "\\n");
        }
        return null;
    }
}
