package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code require}: the policy's directory, then {@code LUA_PATH} (tested with {@code bin/sluice} in
 * CheckCommandTest, since it is the process's environment), then Sluice's bundled modules.
 */
class ModuleSearchPathTest {
    @TempDir
    Path dir;

    private Object load(String... lines) throws Exception {
        Path file = PolicyFiles.write(dir, "policy.lua", lines);
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), null))) {
            return policy.call("probe");
        }
    }

    @Test
    void bundledModulesAreFoundAfterThePolicysDirectory() throws Exception {
        Files.createDirectories(dir.resolve("sluice_test/shadowed"));
        Files.writeString(dir.resolve("sluice_test/shadowed/init.lua"), "return { from = 'policy dir' }\n");
        Object result = load(
                "local bundled = require 'sluice_test.bundled'",
                "local shadowed = require 'sluice_test.shadowed'",
                "kumo.on('probe', function() return { bundled.from, shadowed.from } end)");
        assertThat(result).isEqualTo(List.of("bundled", "policy dir"));
    }

    @Test
    void requireKumoIsTheKumoGlobal() throws Exception {
        assertThat(load(
                "local k = require 'kumo'",
                "kumo.on('probe', function() return k == kumo and k == _G.kumo end)")).isEqualTo(true);
    }

    @Test
    void aMissingModuleNamesEveryPlaceLooked() throws Exception {
        assertThatThrownBy(() -> load("require 'sluice_test.nowhere'"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("policy.lua:1: module 'sluice_test.nowhere' not found")
                .hasMessageContaining(dir + "/sluice_test/nowhere.lua")
                .hasMessageContaining("no bundled module sluice_test.nowhere");
    }

    @Test
    void aBundledModuleThatDoesNotCompileIsNamed() throws Exception {
        assertThatThrownBy(() -> load("require 'sluice_test.broken'"))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("error loading module 'sluice_test.broken' from file '[sluice]/sluice_test/broken.lua'")
                .hasMessageContaining("[sluice]/sluice_test/broken.lua:3:");
    }
}
