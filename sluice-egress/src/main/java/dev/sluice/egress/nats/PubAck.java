package dev.sluice.egress.nats;

/**
 * JetStream's acknowledgement of a published message.
 *
 * @param stream    the stream that stored it
 * @param sequence  its sequence number in the stream
 * @param domain    the JetStream domain, "" when none
 * @param duplicate true when the stream had a message with the same {@code Nats-Msg-Id} already
 * @param value     the counter value for streams with counters, "" otherwise
 */
public record PubAck(String stream, long sequence, String domain, boolean duplicate, String value) {}
