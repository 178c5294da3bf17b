package dev.sluice.policy.kumo.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts between the Java form of Lua values (see {@code LuaValues}) and Jackson trees, with
 * KumoMTA's rules: a table with keys 1..n is an array, any other table (including an empty one) an
 * object; a null in the data becomes nil (absent from its table); integers stay integers and floats
 * floats; an integer too large for Lua's 64 bits becomes a float.
 */
public final class LuaData {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private LuaData() {}

    /** Lua value → tree, object keys sorted so that the text is stable. */
    public static JsonNode toTree(Object value) {
        return toTree(value, "value");
    }

    private static JsonNode toTree(Object value, String path) {
        return switch (value) {
            case null -> NODES.nullNode();
            case Boolean b -> NODES.booleanNode(b);
            case Long l -> NODES.numberNode(l);
            case Double d when d.isNaN() || d.isInfinite() -> NODES.nullNode(); // as serde_json writes them
            case Number n -> NODES.numberNode(n.doubleValue());
            case String s -> NODES.textNode(s);
            case dev.sluice.policy.LuaBytes b -> NODES.textNode(b.lossyText());
            case dev.sluice.policy.LuaObject o when o.toData() != null -> toTree(o.toData(), path);
            case List<?> list -> {
                ArrayNode array = NODES.arrayNode(list.size());
                for (int i = 0; i < list.size(); i++) {
                    array.add(toTree(list.get(i), path + "[" + (i + 1) + "]"));
                }
                yield array;
            }
            case Map<?, ?> map -> {
                ObjectNode object = NODES.objectNode();
                Map<String, Object> sorted = new TreeMap<>();
                map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
                sorted.forEach((k, v) -> object.set(k, toTree(v, path + "." + k)));
                yield object;
            }
            default -> throw new ConfigException("cannot serialize " + path + ": a " + LuaArgs.typeName(value)
                    + " has no data representation");
        };
    }

    /** Tree → Lua value. */
    public static Object fromTree(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(e -> {
                Object v = fromTree(e.getValue());
                if (v != null) {
                    map.put(e.getKey(), v);
                }
            });
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(n -> list.add(fromTree(n)));
            return list;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isBinary()) {
            return new String(((com.fasterxml.jackson.databind.node.BinaryNode) node).binaryValue(),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        return node.asText();
    }
}
