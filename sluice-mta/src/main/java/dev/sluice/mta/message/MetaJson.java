package dev.sluice.mta.message;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A message's meta map as JSON bytes: how a shrunk message keeps it, and the {@code meta} member of the spool's
 * record. Integers come back as Long, as the Lua bridge produces them.
 */
public final class MetaJson {
    /** The one mapper for meta JSON (the spool's record uses it too). */
    public static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private MetaJson() {}

    /** @throws UncheckedIOException when a value cannot be written as JSON */
    public static byte[] encode(MessageId id, Map<String, Object> meta) {
        try {
            return JSON.writeValueAsBytes(meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize the meta of " + id, e);
        }
    }

    public static LinkedHashMap<String, Object> decode(byte[] json) throws IOException {
        return JSON.readValue(json, MAP);
    }
}
