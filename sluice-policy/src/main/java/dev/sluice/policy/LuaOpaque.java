package dev.sluice.policy;

/** A Lua value with no Java counterpart (function, thread, foreign userdata), as seen from Java. */
public record LuaOpaque(String luaType) {}
