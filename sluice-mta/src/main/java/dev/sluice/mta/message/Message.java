package dev.sluice.mta.message;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message as the MTA holds it: envelope, meta (JSON-compatible values set by ingress and by the policy's
 * {@code msg:set_meta}), and the RFC 5322 data. One recipient per message, as KumoMTA does by default
 * (batch_handling = BifurcateAlways): ingress splits a transaction with several recipients into several
 * messages that share the data.
 *
 * <p>Mutable on purpose and confined to one thread at a time: the policy edits meta and data between
 * reception and spooling; after that only the queue layer touches it.
 */
public final class Message {
    private final MessageId id;
    private String sender;
    private String recipient;
    private final Map<String, Object> meta;
    private byte[] data;

    public Message(MessageId id, String sender, String recipient, Map<String, Object> meta, byte[] data) {
        this.id = Objects.requireNonNull(id, "id");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.meta = new LinkedHashMap<>(meta);
        this.data = Objects.requireNonNull(data, "data");
    }

    public MessageId id() {
        return id;
    }

    public Instant created() {
        return id.created();
    }

    /** The envelope sender (MAIL FROM), "" for the null sender {@code <>}. */
    public String sender() {
        return sender;
    }

    /** The envelope recipient (RCPT TO). */
    public String recipient() {
        return recipient;
    }

    /** {@code msg:set_sender} in a reception event, before the message is spooled. */
    public void setSender(String sender) {
        this.sender = Objects.requireNonNull(sender, "sender");
    }

    /** {@code msg:set_recipient} in a reception event, before the message is spooled: it decides the queue. */
    public void setRecipient(String recipient) {
        this.recipient = Objects.requireNonNull(recipient, "recipient");
    }

    /** The recipient's domain, lower-cased: the default queue and routing domain. */
    public String recipientDomain() {
        int at = recipient.lastIndexOf('@');
        return (at < 0 ? "" : recipient.substring(at + 1)).toLowerCase(java.util.Locale.ROOT);
    }

    public Object meta(String key) {
        return meta.get(key);
    }

    public void setMeta(String key, Object value) {
        if (value == null) {
            meta.remove(key);
        } else {
            meta.put(key, value);
        }
    }

    /** A copy of the meta map. */
    public Map<String, Object> metaMap() {
        return new LinkedHashMap<>(meta);
    }

    public byte[] data() {
        return data;
    }

    public void setData(byte[] data) {
        this.data = Objects.requireNonNull(data, "data");
    }

    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    /** Splits a transaction into one message per recipient, sharing the data and a copy of the meta. */
    public static List<Message> perRecipient(Instant now, String sender, List<String> recipients,
                                             Map<String, Object> meta, byte[] data) {
        return recipients.stream().map(r -> new Message(MessageId.next(now), sender, r, meta, data)).toList();
    }
}
