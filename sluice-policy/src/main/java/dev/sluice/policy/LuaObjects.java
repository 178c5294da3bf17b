package dev.sluice.policy;

import party.iroiro.luajava.Lua;

/**
 * Pushes {@link LuaObject}s and recognises them again. A LuaObject is a Lua table holding the Java
 * object under a private key, with one metatable per Lua state, shared by every LuaObject, whose
 * {@code __index}, {@code __newindex}, {@code __tostring}, {@code __len}, {@code __close} and operators call back into
 * the Java object; so pushing one costs a table and a userdata, not a set of closures.
 */
final class LuaObjects {
    /** Registry name of the shared metatable; also its marker field. */
    private static final String META = "sluice.LuaObject";
    /** Raw key of the Java object in the object's table (a NUL keeps it out of any real field name). */
    private static final String KEY = "\0sluice";

    /** {@code __pairs}: a table of the object's entries, iterated with {@code next}. */
    private static final String PAIRS = String.join("\n",
            "local entries = ...",
            "return function(self)",
            "  local t = entries(self)", // the entries, or why there are none
            "  if type(t) == 'string' then error(t, 3) end", // at the line that called pairs (level 2 is pairs)
            "  return next, t, nil",
            "end");

    private LuaObjects() {}

    static void push(Lua lua, LuaObject object) {
        lua.checkStack(4);
        lua.createTable(0, 1);
        lua.push(KEY);
        lua.pushJavaObject(object);
        lua.rawSet(-3);
        if (lua.newRegisteredMetatable(META) != 0) {
            fill(lua);
        }
        lua.setMetatable(-2);
    }

    private static void fill(Lua lua) {
        lua.push(true);
        lua.setField(-2, META);
        lua.push(LuaState.javaFunction(args -> self(args).index(LuaObject.arg(args, 1))));
        lua.setField(-2, "__index");
        lua.push(LuaState.javaFunction(args -> {
            self(args).newIndex(LuaObject.arg(args, 1), LuaObject.arg(args, 2));
            return null;
        }));
        lua.setField(-2, "__newindex");
        lua.push(LuaState.javaFunction(args -> self(args).display()));
        lua.setField(-2, "__tostring");
        lua.push(LuaState.javaFunction(args -> {
            LuaObject object = self(args);
            Long length = object.length();
            if (length == null) {
                throw new IllegalArgumentException("attempt to get length of a " + object.typeName() + " value");
            }
            return length;
        }));
        lua.setField(-2, "__len");
        lua.push(LuaState.javaFunction(args -> {
            self(args).closed();
            return null;
        }));
        lua.setField(-2, "__close");
        // Hide the private key from pairs(); LuaObjects have no iterable contents.
        // ... except what entries() returns, iterated as a fresh table; without entries pairs() fails.
        byte[] pairs = PAIRS.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        lua.load(java.nio.ByteBuffer.allocateDirect(pairs.length).put(pairs).flip(), "=sluice-pairs");
        lua.push(LuaState.javaFunction(args -> {
            LuaObject object = self(args);
            java.util.Map<?, ?> entries = object.entries();
            return entries != null ? entries : "a " + object.typeName() + " cannot be iterated with pairs()";
        }));
        lua.pCall(1, 1);
        lua.setField(-2, "__pairs");
        for (String op : new String[] {"add", "sub", "eq", "lt", "le", "concat"}) {
            lua.push(LuaState.javaFunction(args -> {
                Object left = LuaObject.arg(args, 0);
                Object right = LuaObject.arg(args, 1);
                LuaObject object = left instanceof LuaObject o ? o : (LuaObject) right;
                return object.operator(op, left, right);
            }));
            lua.setField(-2, "__" + op);
        }
    }

    private static LuaObject self(java.util.List<Object> args) {
        if (LuaObject.arg(args, 0) instanceof LuaObject o) {
            return o;
        }
        throw new IllegalArgumentException("expected a kumo object, got " + LuaTypes.name(LuaObject.arg(args, 0)));
    }

    /** The LuaObject behind the table at {@code index} (absolute), or null when it is a plain table. */
    static LuaObject recognise(Lua lua, int index) {
        lua.checkStack(2);
        if (lua.getMetaField(index, META) == 0) {
            return null;
        }
        lua.pop(1);
        lua.push(KEY);
        lua.rawGet(index);
        try {
            return lua.isJavaObject(-1) && lua.toJavaObject(-1) instanceof LuaObject o ? o : null;
        } finally {
            lua.pop(1);
        }
    }
}
