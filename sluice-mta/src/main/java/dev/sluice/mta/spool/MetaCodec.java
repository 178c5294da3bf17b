package dev.sluice.mta.spool;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The meta record of a spooled message: JSON {@code {"sender", "recipient", "meta": {...}}}. JSON keeps it
 * readable with {@code ldb}/{@code cat}; integers come back as Long, as the Lua bridge produces them.
 */
final class MetaCodec {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS);
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private MetaCodec() {}

    static byte[] encode(Message m) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("sender", m.sender());
        record.put("recipient", m.recipient());
        record.put("meta", m.metaMap());
        try {
            return JSON.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize the meta of " + m.id(), e);
        }
    }

    @SuppressWarnings("unchecked")
    static Message decode(MessageId id, byte[] meta, byte[] data) throws IOException {
        Map<String, Object> record = JSON.readValue(meta, MAP);
        Object sender = record.get("sender");
        Object recipient = record.get("recipient");
        Object m = record.getOrDefault("meta", Map.of());
        if (!(sender instanceof String s) || !(recipient instanceof String r) || !(m instanceof Map<?, ?> map)) {
            throw new IOException("meta record of " + id + " lacks sender, recipient or meta");
        }
        return new Message(id, s, r, (Map<String, Object>) map, data);
    }
}
