package dev.sluice.policy.kumo;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs Lua policy snippets, as a user's init.lua would, with the standard kumo library only. */
public final class LuaSnippets {
    private LuaSnippets() {}

    /** Writes {@code policy.lua} into {@code dir} and loads it with two Lua states. */
    public static Policy load(Path dir, String... lines) throws IOException, PolicyException {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return Policy.load(new PolicyOptions(file, 2, List.of(), null));
    }

    /** Loads the snippet and returns what its {@code kumo.on('test', ...)} handler returns. */
    public static Object eval(Path dir, String... lines) throws IOException, PolicyException {
        try (Policy policy = load(dir, lines)) {
            return policy.call("test");
        }
    }

    /** The message of the error the snippet raises while loading. */
    public static String loadError(Path dir, String... lines) throws IOException {
        try (Policy policy = load(dir, lines)) {
            throw new AssertionError("the snippet loaded without error");
        } catch (PolicyException e) {
            return e.getMessage();
        }
    }
}
