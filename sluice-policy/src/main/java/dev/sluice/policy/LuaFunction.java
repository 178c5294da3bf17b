package dev.sluice.policy;

import java.util.List;

/**
 * A Java function callable from Lua. Arguments arrive converted to Java (see {@link Policy#call});
 * the return value is converted back. An exception becomes a Lua error whose message begins with
 * the calling line ({@code x.lua:7: }) followed by the exception's message.
 */
@FunctionalInterface
public interface LuaFunction {
    Object call(List<Object> args) throws Exception;
}
