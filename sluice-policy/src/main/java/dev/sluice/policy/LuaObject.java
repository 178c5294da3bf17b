package dev.sluice.policy;

import java.util.List;

/**
 * A Java object that Lua sees as an object with fields and methods, such as a compiled regex or a
 * domain map. Pushed to Lua as a table whose (shared) metatable's {@code __index}, {@code __newindex},
 * {@code __tostring}, {@code __len} and operators call back here; converting that table back to Java
 * yields this very object, so it survives {@link LuaModule} calls and caches such as
 * {@code kumo.memoize}. Instances may be shared by several Lua states (threads) and must be thread-safe.
 */
public interface LuaObject {
    /** The Lua type name shown by {@code tostring} and in error messages, e.g. {@code "Regex"}. */
    String typeName();

    /**
     * {@code object[key]} / {@code object.key} / {@code object:key(...)}: a value, a {@link LuaFunction}
     * (a method: called with the object itself as first argument when the colon syntax is used) or
     * null. {@code key} is a string or a Long.
     */
    Object index(Object key) throws Exception;

    /** {@code object[key] = value}; read-only by default. */
    default void newIndex(Object key, Object value) throws Exception {
        throw new IllegalArgumentException("cannot assign to a field of " + typeName() + " (it is read-only)");
    }

    /**
     * The object as plain data for {@code kumo.serde.*_encode} (a Map, List, String, number…), or null
     * when it has none (encoding it is then an error).
     */
    default Object toData() {
        return null;
    }

    /**
     * What {@code pairs(object)} iterates (a Map, converted to a fresh Lua table for each call), or null when the
     * object cannot be iterated (the default).
     */
    default java.util.Map<?, ?> entries() {
        return null;
    }

    /** {@code tostring(object)}. */
    default String display() {
        return typeName();
    }

    /**
     * The object as {@code kumo.memoize} keeps it and hands it out (called when the value is cached and again on
     * each hit): itself (the default, for objects Lua cannot change), or, for an object Lua can change, a copy, so
     * that no caller changes what the cache or another caller holds.
     */
    default LuaObject memoized() {
        return this;
    }

    /** A {@code local x <close> = object} variable went out of scope; nothing by default. */
    default void closed() throws Exception {
    }

    /** {@code #object}, or null when the object has no length. */
    default Long length() {
        return null;
    }

    /**
     * A binary operator: {@code op} is {@code "add"}, {@code "sub"}, {@code "eq"}, {@code "lt"},
     * {@code "le"} or {@code "concat"}; {@code left} and {@code right} are the operands as Lua passes them (this object is
     * one of them). Unsupported by default.
     */
    default Object operator(String op, Object left, Object right) throws Exception {
        if (op.equals("eq")) {
            return left == right;
        }
        throw new IllegalArgumentException("attempt to perform '" + op + "' on a " + typeName() + " value");
    }

    /**
     * A method taking its arguments without the {@code self} that Lua's colon syntax adds: the first
     * argument is dropped when it is {@code self}.
     */
    static LuaFunction method(LuaObject self, LuaFunction body) {
        return args -> body.call(!args.isEmpty() && args.getFirst() == self ? args.subList(1, args.size()) : args);
    }

    /** Argument {@code i} (0-based, after {@code self}), or null when absent. */
    static Object arg(List<Object> args, int i) {
        return i < args.size() ? args.get(i) : null;
    }
}
