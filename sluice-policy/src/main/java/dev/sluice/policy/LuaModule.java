package dev.sluice.policy;

/**
 * Extension point: adds Java functions to {@code kumo} or to another global module.
 * {@link #install} is called once for every Lua state of the pool, before the policy file runs,
 * so the functions must be safe to call from several states (threads) at once.
 */
@FunctionalInterface
public interface LuaModule {
    void install(Registrar registrar);

    /** Where a module puts its functions. */
    interface Registrar {
        /**
         * Sets {@code module.name = fn}. {@code module} is {@code "kumo"}, a path below it such as
         * {@code "kumo.dns"}, or another global name such as {@code "proxy"}: that module is created
         * as a global and as {@code package.loaded[module]}, so {@code require 'proxy'} returns it.
         * Unset names in it behave like unimplemented {@code kumo} functions.
         */
        void function(String module, String name, LuaFunction fn);

        /** Same as {@code function("kumo", name, fn)}. */
        default void kumoFunction(String name, LuaFunction fn) {
            function("kumo", name, fn);
        }

        /**
         * Runs Lua source once in the state (after the bootstrap, before the policy file), for the
         * parts of a module that must be Lua (calling back Lua functions, reading the Lua stack).
         * The chunk receives one argument: a table of {@code natives}, Java functions private to it.
         * Errors it raises at the caller's position ({@code error(msg, 2)}) read {@code file:line: msg}.
         */
        default void script(String chunkName, String source, java.util.Map<String, LuaFunction> natives) {
            throw new UnsupportedOperationException("this registrar cannot run Lua scripts");
        }
    }
}
