package dev.sluice.policy;

import java.util.List;
import java.util.Map;

/** Lua type names for converted Java values, for error messages. */
final class LuaTypes {
    private LuaTypes() {}

    static String name(Object value) {
        return switch (value) {
            case null -> "nil";
            case Boolean b -> "boolean";
            case Long l -> "integer";
            case Number n -> "number";
            case String s -> "string";
            case LuaBytes b -> "string";
            case List<?> l -> "list";
            case Map<?, ?> m -> "table";
            case LuaOpaque o -> o.luaType();
            default -> value.getClass().getSimpleName();
        };
    }
}
