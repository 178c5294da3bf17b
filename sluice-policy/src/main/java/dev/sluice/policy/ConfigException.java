package dev.sluice.policy;

/**
 * A value from Lua does not fit what Sluice expects (unknown key, wrong type, bad duration).
 * Thrown from a {@link LuaFunction}, it becomes a Lua error at the caller's {@code file:line}.
 */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
