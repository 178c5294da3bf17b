package dev.sluice.policy;

import java.util.List;
import java.util.Map;

/**
 * Lua type names for converted Java values, for error messages ("list" for a sequence, where Lua would say
 * "table", because a sequence where a map was expected, or the reverse, is the usual mistake).
 */
public final class LuaTypes {
    private LuaTypes() {}

    public static String name(Object value) {
        return switch (value) {
            case null -> "nil";
            case Boolean b -> "boolean";
            case Long l -> "integer";
            case Number n -> "number";
            case String s -> "string";
            case LuaBytes b -> "string";
            case List<?> l -> "list";
            case Map<?, ?> m -> "table";
            case LuaObject o -> o.typeName();
            case LuaOpaque o -> o.luaType();
            default -> value.getClass().getSimpleName();
        };
    }
}
