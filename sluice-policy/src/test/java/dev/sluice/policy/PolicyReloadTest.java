package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Policy#reload}: the file read again, new handlers at once, in-flight calls finish, a broken file refused. */
class PolicyReloadTest {
    @TempDir
    Path dir;

    @Test
    void theNewFilesHandlersRunAtOnceAndABrokenFileIsRefusedWithFileAndLine() throws Exception {
        Path file = PolicyFiles.write(dir, "policy.lua",
                "kumo.on('answer', function() return 'one' end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 2, List.of(), null))) {
            assertThat(policy.call("answer")).isEqualTo("one");
            assertThat(policy.hasHandler("extra")).isFalse();

            PolicyFiles.write(dir, "policy.lua",
                    "kumo.on('answer', function() return 'two' end)",
                    "kumo.on('extra', function() return 'new handler' end)");
            long epoch = policy.reload("test");
            assertThat(epoch).isEqualTo(1);
            assertThat(policy.configEpoch().generation()).isEqualTo(1);
            for (int i = 0; i < 4; i++) { // every state of the pool runs the new code
                assertThat(policy.call("answer")).isEqualTo("two");
            }
            assertThat(policy.hasHandler("extra")).isTrue();
            assertThat(policy.call("extra")).isEqualTo("new handler");

            PolicyFiles.write(dir, "policy.lua",
                    "kumo.on('answer', function() return 'three' end)",
                    "kumo.on('extra', function() return end end)");
            assertThatThrownBy(() -> policy.reload("test")).isInstanceOf(PolicyException.class)
                    .hasMessageStartingWith(file + ":2:");
            PolicyFiles.write(dir, "policy.lua",
                    "kumo.on('answer', function() return 'three' end)",
                    "error('not today')");
            assertThatThrownBy(() -> policy.reload("test")).hasMessageStartingWith(file + ":2: not today");
            for (int i = 0; i < 4; i++) { // the running code stays
                assertThat(policy.call("answer")).isEqualTo("two");
            }
            assertThat(policy.configEpoch().current()).isEqualTo(1);
            assertThat(policy.configEpoch().generation()).isEqualTo(1);
        }
    }

    @Test
    void aCallRunningAtTheReloadFinishesUnderTheOldCode() throws Exception {
        Path started = dir.resolve("started");
        Path release = dir.resolve("release");
        Path file = PolicyFiles.write(dir, "policy.lua",
                "kumo.on('slow', function()",
                "  io.open('" + started + "', 'w'):close()",
                "  while not io.open('" + release + "') do kumo.sleep(0.01) end",
                "  return 'old'",
                "end)",
                "kumo.on('quick', function() return 'old' end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 2, List.of(), null,
                java.time.Duration.ofSeconds(30)))) {
            CompletableFuture<Object> slow = policy.callAsync("slow");
            for (int i = 0; i < 1000 && !Files.exists(started); i++) {
                Thread.sleep(10);
            }
            assertThat(started).exists();
            PolicyFiles.write(dir, "policy.lua",
                    "kumo.on('slow', function() return 'new' end)",
                    "kumo.on('quick', function() return 'new' end)");
            policy.reload("test");
            assertThat(policy.call("quick")).isEqualTo("new");
            assertThat(policy.call("slow")).isEqualTo("new");
            Files.writeString(release, "");
            assertThat(slow.get(20, TimeUnit.SECONDS)).isEqualTo("old");
            for (int i = 0; i < 4; i++) { // the old state was closed when it came back, not put back in the pool
                assertThat(policy.call("quick")).isEqualTo("new");
            }
        }
    }

    @Test
    void memoizedValuesAreComputedAgainByTheNewCode() throws Exception {
        Path file = PolicyFiles.write(dir, "policy.lua",
                "local f = kumo.memoize(function(k) return k .. ' from v1' end,",
                "  { name = 'data', ttl = '1 hour', capacity = 10 })",
                "kumo.on('lookup', function(k) return f(k) end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 2, List.of(), null))) {
            assertThat(policy.call("lookup", "a")).isEqualTo("a from v1");
            PolicyFiles.write(dir, "policy.lua",
                    "local f = kumo.memoize(function(k) return k .. ' from v2' end,",
                    "  { name = 'data', ttl = '1 hour', capacity = 10 })",
                    "kumo.on('lookup', function(k) return f(k) end)");
            policy.reload("test");
            assertThat(policy.call("lookup", "a")).isEqualTo("a from v2");
            policy.configEpoch().bump("an epoch bump alone"); // keeps a cache made without invalidate_with_epoch
            assertThat(policy.call("lookup", "a")).isEqualTo("a from v2");
        }
    }

    @Test
    void aPinnedVersionKeepsItsHandlersAcrossAReloadAndClosesWhenItsLastHolderLetsGo() throws Exception {
        Path file = PolicyFiles.write(dir, "policy.lua",
                "kumo.on('answer', function() return 'one' end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 2, List.of(), null))) {
            Policy.Version v1 = policy.pin();
            Policy.Version shared = v1.share();
            PolicyFiles.write(dir, "policy.lua",
                    "kumo.on('answer', function() return 'two' end)",
                    "kumo.on('extra', function() return 'new' end)");
            policy.reload("test");
            assertThat(policy.versions()).isEqualTo(2);
            assertThat(policy.call("answer")).isEqualTo("two");
            for (int i = 0; i < 4; i++) { // every call through the pin, also several at once, runs version 0
                assertThat(v1.call("answer")).isEqualTo("one");
                assertThat(v1.callAsync("answer").get(20, TimeUnit.SECONDS)).isEqualTo("one");
            }
            assertThat(v1.hasHandler("extra")).isFalse();
            try (Policy.Version v2 = policy.pin()) {
                assertThat(v2.number()).isEqualTo(1);
                assertThat(v2.call("answer")).isEqualTo("two");
            }
            v1.close();
            v1.close(); // a second close does not release the shared hold
            assertThat(policy.versions()).isEqualTo(2);
            assertThat(shared.call("answer")).isEqualTo("one");
            shared.close();
            assertThat(policy.versions()).isEqualTo(1);
            assertThat(policy.call("answer")).isEqualTo("two");
        }
    }
}
