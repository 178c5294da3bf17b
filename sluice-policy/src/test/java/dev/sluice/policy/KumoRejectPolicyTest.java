package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.reject(code, text)} as the policy runtime reports it: a typed {@link PolicyRejection}. */
class KumoRejectPolicyTest {
    @TempDir
    Path dir;

    private Policy load(String... lines) throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua", lines);
        return Policy.load(new PolicyOptions(file, 1, List.of(), null));
    }

    @Test
    void rejectEndsTheEventWithItsCodeAndText() throws Exception {
        try (Policy p = load("local kumo = require 'kumo'",
                "kumo.on('e', function(x)",
                "  if x == 'no' then kumo.reject(550, '5.7.1 not you') end",
                "  return 'ok'",
                "end)")) {
            assertThat(p.call("e", "yes")).isEqualTo("ok");
            assertThatThrownBy(() -> p.call("e", "no"))
                    .isInstanceOfSatisfying(PolicyRejection.class, r -> {
                        assertThat(r.code()).isEqualTo(550);
                        assertThat(r.text()).isEqualTo("5.7.1 not you");
                        assertThat(r.temporary()).isFalse();
                        assertThat(r.event()).isEqualTo("e");
                    })
                    .hasMessage(dir.resolve("p.lua") + ":3: kumo.reject(550, 5.7.1 not you)");
            // the state is reusable, and a later plain error is not mistaken for a rejection
            assertThat(p.call("e", "yes")).isEqualTo("ok");
        }
    }

    @Test
    void aPlainErrorIsNotARejection() throws Exception {
        try (Policy p = load("kumo.on('e', function() error('boom') end)")) {
            assertThatThrownBy(() -> p.call("e")).isInstanceOf(PolicyException.class)
                    .isNotInstanceOf(PolicyRejection.class).hasMessageEndingWith(":1: boom");
        }
    }

    @Test
    void aRejectionCaughtByPcallIsJustAValueAndPrintsReadably() throws Exception {
        try (Policy p = load("kumo.on('e', function()",
                "  local ok, err = pcall(kumo.reject, 421, 'later')",
                "  return tostring(ok) .. ' ' .. tostring(err)",
                "end)")) {
            assertThat(p.call("e")).isEqualTo("false kumo.reject(421, later)");
        }
    }

    @Test
    void badArgumentsAreReportedAtTheCaller() throws Exception {
        try (Policy p = load("kumo.on('a', function() kumo.reject(250, 'fine') end)",
                "kumo.on('b', function() kumo.reject('x', 'y') end)",
                "kumo.on('c', function() kumo.reject(550) end)")) {
            assertThatThrownBy(() -> p.call("a")).isNotInstanceOf(PolicyRejection.class)
                    .hasMessageContaining(":1: kumo.reject: code must be a 4xx or 5xx reply code, got 250");
            assertThatThrownBy(() -> p.call("b")).hasMessageContaining(":2: kumo.reject: code must be an integer");
            assertThatThrownBy(() -> p.call("c")).hasMessageContaining(":3: kumo.reject: text must be a string, got nil");
        }
    }
}
