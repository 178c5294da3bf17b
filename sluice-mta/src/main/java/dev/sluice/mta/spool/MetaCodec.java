package dev.sluice.mta.spool;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.message.DataStore;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.message.MetaJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The meta record of a spooled message: JSON {@code {"sender", "recipient", "size", "digest", "meta": {...}}}.
 * JSON keeps it readable with {@code ldb}/{@code cat}; integers come back as Long, as the Lua bridge produces
 * them. {@code size} and {@code digest} (the data's length and {@link Message#dataDigest()}) let a message read
 * back without its data still be logged with its size and batched with the other recipients of its reception;
 * records written before they existed lack them (such a message is sent in a transaction of its own).
 */
final class MetaCodec {
    private static final ObjectMapper JSON = MetaJson.JSON;

    private MetaCodec() {}

    static byte[] encode(Message m) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write('{');
            out.write("\"sender\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(JSON.writeValueAsBytes(m.sender()));
            out.write(",\"recipient\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(JSON.writeValueAsBytes(m.recipient()));
            out.write((",\"size\":" + m.size() + ",\"digest\":" + m.dataDigest() + ",\"meta\":")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(m.metaJson());
            out.write('}');
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize the meta of " + m.id(), e);
        }
    }

    /** The message with its data in memory (quarantine, tests). */
    static Message decode(MessageId id, byte[] meta, byte[] data) throws IOException {
        Record r = parse(id, meta);
        return new Message(id, r.sender(), r.recipient(), MetaJson.decode(r.meta()), data);
    }

    /** The meta map's JSON out of a stored record. */
    static byte[] metaOf(MessageId id, byte[] record) throws IOException {
        return parse(id, record).meta();
    }

    /** The message without its data, its meta kept packed; {@code store} reads the data when asked. */
    static Message decodeShrunk(MessageId id, byte[] meta, DataStore store) throws IOException {
        Record r = parse(id, meta);
        long size = r.size();
        if (size < 0) { // an older record: the size is the data's
            size = store.readData(id).length;
        }
        return Message.spooled(id, r.sender(), r.recipient(), r.meta(), (int) size, r.digest(), store);
    }

    private record Record(String sender, String recipient, long size, long digest, byte[] meta) {}

    private static Record parse(MessageId id, byte[] meta) throws IOException {
        String sender = null;
        String recipient = null;
        long size = -1;
        long digest = 0;
        byte[] metaJson = null;
        try (JsonParser p = JSON.createParser(meta)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("meta record of " + id + " is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "sender" -> sender = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "recipient" -> recipient = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "size" -> size = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                    case "digest" -> digest = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : 0;
                    case "meta" -> {
                        if (value != JsonToken.START_OBJECT) {
                            throw new IOException("meta record of " + id + ": meta is not an object");
                        }
                        // the meta object's bytes as they are: no tree, no second serialization
                        long from = p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        long to = p.currentLocation().getByteOffset();
                        metaJson = java.util.Arrays.copyOfRange(meta, (int) from, (int) to);
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("meta record of " + id + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (sender == null || recipient == null) {
            throw new IOException("meta record of " + id + " lacks sender, recipient or meta");
        }
        if (metaJson == null) {
            metaJson = JSON.writeValueAsBytes(Map.of());
        }
        return new Record(sender, recipient, size, digest, metaJson);
    }
}
