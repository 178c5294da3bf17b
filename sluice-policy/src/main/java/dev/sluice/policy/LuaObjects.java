package dev.sluice.policy;

import party.iroiro.luajava.Lua;

/** Pushes {@link LuaObject}s as tables with a calling-back metatable, and recognises them again. */
final class LuaObjects {
    /** Metatable field holding the Java object; also how a table is recognised as a LuaObject. */
    private static final String FIELD = "__sluice_object";

    private LuaObjects() {}

    static void push(Lua lua, LuaObject object) {
        lua.checkStack(6);
        lua.createTable(0, 0);
        lua.createTable(0, 12);
        lua.pushJavaObject(object);
        lua.setField(-2, FIELD);
        lua.push(object.typeName());
        lua.setField(-2, "__name");
        lua.push(LuaState.javaFunction(args -> object.index(LuaObject.arg(args, 1))));
        lua.setField(-2, "__index");
        lua.push(LuaState.javaFunction(args -> {
            object.newIndex(LuaObject.arg(args, 1), LuaObject.arg(args, 2));
            return null;
        }));
        lua.setField(-2, "__newindex");
        lua.push(LuaState.javaFunction(args -> object.display()));
        lua.setField(-2, "__tostring");
        lua.push(LuaState.javaFunction(args -> {
            Long length = object.length();
            if (length == null) {
                throw new IllegalArgumentException("attempt to get length of a " + object.typeName() + " value");
            }
            return length;
        }));
        lua.setField(-2, "__len");
        for (String op : new String[] {"add", "sub", "eq", "lt", "le"}) {
            lua.push(LuaState.javaFunction(args -> object.operator(op, LuaObject.arg(args, 0), LuaObject.arg(args, 1))));
            lua.setField(-2, "__" + op);
        }
        lua.setMetatable(-2);
    }

    /** The LuaObject behind the table at {@code index} (absolute), or null when it is a plain table. */
    static LuaObject recognise(Lua lua, int index) {
        lua.checkStack(2);
        if (lua.getMetaField(index, FIELD) == 0) {
            return null;
        }
        try {
            return lua.isJavaObject(-1) && lua.toJavaObject(-1) instanceof LuaObject o ? o : null;
        } finally {
            lua.pop(1);
        }
    }
}
