package dev.sluice.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import party.iroiro.luajava.Lua;

/**
 * Converts values between the Lua stack and plain Java objects.
 *
 * <p>Lua to Java: nil → null, boolean → Boolean, integer → Long, float → Double, string → String
 * (byte-exact; {@link LuaBytes} when it is not valid UTF-8),
 * a table whose keys are exactly 1..n (n ≥ 1) → {@code List<Object>}, any other table (including
 * an empty one, unless it came from an empty Java list) → {@code Map<String,Object>} with keys as strings, a {@link LuaObject}'s table → that
 * object, Java objects pushed earlier →
 * themselves, functions and other Lua values → {@link LuaOpaque}.
 *
 * <p>Java to Lua: null, Boolean, integral Number (integer), other Number (float), CharSequence,
 * Map (table), Collection or Object[] (array table), {@link LuaObject} (its table), {@link LuaFunction}
 * (a Lua function); anything else is pushed as a Java object.
 */
final class LuaValues {
    private static final int MAX_DEPTH = 64;
    /** Registry name (and marker field) of the metatable that marks an empty table as a list. */
    private static final String EMPTY_ARRAY = "sluice.empty_array";

    private LuaValues() {}

    static Object toJava(Lua lua, int index) {
        return toJava(lua, index < 0 ? lua.getTop() + 1 + index : index, 0);
    }

    private static Object toJava(Lua lua, int index, int depth) {
        switch (lua.type(index)) {
            case NIL, NONE -> {
                return null;
            }
            case BOOLEAN -> {
                return lua.toBoolean(index);
            }
            case NUMBER -> {
                return lua.isInteger(index) ? (Object) lua.toInteger(index) : (Object) lua.toNumber(index);
            }
            case STRING -> {
                return LuaStrings.toJava(lua, index);
            }
            case TABLE -> {
                return tableToJava(lua, index, depth);
            }
            case USERDATA -> {
                return lua.isJavaObject(index) ? lua.toJavaObject(index) : new LuaOpaque("userdata");
            }
            case FUNCTION -> {
                return new LuaOpaque("function");
            }
            case THREAD -> {
                return new LuaOpaque("thread");
            }
            default -> {
                return new LuaOpaque("lightuserdata");
            }
        }
    }

    private static Object tableToJava(Lua lua, int index, int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("table nested more than " + MAX_DEPTH + " levels deep (a cycle?)");
        }
        LuaObject object = LuaObjects.recognise(lua, index);
        if (object != null) {
            return object;
        }
        lua.checkStack(4);
        Map<Object, Object> entries = new LinkedHashMap<>();
        long maxIntKey = 0;
        boolean allIntKeys = true;
        lua.pushNil();
        while (lua.next(index) != 0) {
            // Read the key by type: lua_tolstring on a number key would confuse lua_next.
            Object key;
            if (lua.type(-2) == Lua.LuaType.NUMBER && lua.isInteger(-2)) {
                long k = lua.toInteger(-2);
                key = k;
                maxIntKey = Math.max(maxIntKey, k);
                allIntKeys &= k >= 1;
            } else if (lua.type(-2) == Lua.LuaType.STRING) {
                key = lua.toString(-2);
                allIntKeys = false;
            } else {
                // Float, boolean or table keys: keep a readable form, as serde would reject them anyway.
                key = String.valueOf(toJava(lua, lua.getTop() - 1, depth + 1));
                allIntKeys = false;
            }
            entries.put(key, toJava(lua, lua.getTop(), depth + 1));
            lua.pop(1);
        }
        if (!entries.isEmpty() && allIntKeys && maxIntKey == entries.size()) {
            List<Object> list = new ArrayList<>(entries.size());
            for (long i = 1; i <= maxIntKey; i++) {
                list.add(entries.get(i));
            }
            return list;
        }
        if (entries.isEmpty() && lua.getMetaField(index, EMPTY_ARRAY) != 0) {
            lua.pop(1);
            return new ArrayList<>();
        }
        Map<String, Object> map = new LinkedHashMap<>();
        entries.forEach((k, v) -> map.put(String.valueOf(k), v));
        return map;
    }

    static void push(Lua lua, Object value) {
        push(lua, value, 0);
    }

    private static void push(Lua lua, Object value, int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("value nested more than " + MAX_DEPTH + " levels deep (a cycle?)");
        }
        lua.checkStack(4);
        switch (value) {
            case null -> lua.pushNil();
            case Boolean b -> lua.push(b);
            case Long l -> lua.push((long) l);
            case Integer i -> lua.push((long) i);
            case Short s -> lua.push((long) s);
            case Byte b -> lua.push((long) b);
            case Number n -> lua.push(n.doubleValue());
            case CharSequence s -> LuaStrings.push(lua, s.toString());
            case LuaBytes b -> LuaStrings.pushBytes(lua, b.bytes());
            case LuaObject o -> LuaObjects.push(lua, o);
            case LuaFunction f -> lua.push(LuaState.javaFunction(f));
            case Map<?, ?> m -> {
                lua.createTable(0, m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    push(lua, e.getKey(), depth + 1);
                    push(lua, e.getValue(), depth + 1);
                    lua.setTable(-3);
                }
            }
            case Collection<?> c -> pushArray(lua, c, depth);
            case Object[] a -> pushArray(lua, java.util.Arrays.asList(a), depth);
            default -> lua.pushJavaObject(value);
        }
    }

    private static void pushArray(Lua lua, Collection<?> items, int depth) {
        lua.createTable(items.size(), 0);
        if (items.isEmpty()) {
            // Remember that this empty table was a list, so that it converts back to one ([] stays [] in JSON).
            if (lua.newRegisteredMetatable(EMPTY_ARRAY) != 0) {
                lua.push(true);
                lua.setField(-2, EMPTY_ARRAY);
            }
            lua.setMetatable(-2);
        }
        int i = 1;
        for (Object item : items) {
            push(lua, item, depth + 1);
            lua.rawSetI(-2, i++);
        }
    }
}
