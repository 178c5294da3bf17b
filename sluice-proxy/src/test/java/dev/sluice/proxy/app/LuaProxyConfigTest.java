package dev.sluice.proxy.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.PolicyException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener table's allowed_destinations and require_auth, as a --proxy-config file gives them. */
class LuaProxyConfigTest {
    @TempDir
    Path dir;

    ProxySetup load(String listenerKeys, String more) throws Exception {
        Path file = dir.resolve("proxy.lua");
        Files.writeString(file, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener {
                    listen = '127.0.0.1:0', %s
                  }
                end)
                %s
                """.formatted(listenerKeys, more));
        return LuaProxyConfig.load(file, new PrometheusRegistry());
    }

    @Test
    void allowedDestinationsWidensTheDefaultRule() throws Exception {
        ProxySetup setup = load("allowed_destinations = { '127.0.0.0/8', '::1' },", "");
        try (AutoCloseable r = setup.resources()) {
            var allowed = setup.listeners().get(0).allowedDestinations();
            assertThat(allowed.contains(InetAddress.getByName("127.0.0.1"))).isTrue();
            assertThat(allowed.contains(InetAddress.getByName("::1"))).isTrue();
            assertThat(allowed.contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        }
    }

    @Test
    void withoutAllowedDestinationsNothingIsWidened() throws Exception {
        ProxySetup setup = load("", "");
        try (AutoCloseable r = setup.resources()) {
            assertThat(setup.listeners().get(0).allowedDestinations()).isNull();
        }
    }

    @Test
    void badCidrInAllowedDestinationsIsAConfigErrorAtFileLine() {
        assertThatThrownBy(() -> load("allowed_destinations = { '127.0.0.0/33' },", ""))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(dir.resolve("proxy.lua") + ":3: start_proxy_listener: key 'allowed_destinations'")
                .hasMessageContaining("127.0.0.0/33");
    }

    @Test
    void sourceLimitsAreReadPerListenerAndPerIdentity() throws Exception {
        ProxySetup setup = load("source_limits = { ['10.0.0.0/24'] = { max_sessions = 50, max_session_rate = '20/s' } },"
                + " identity_rules = { alice = { source_limits = { ['10.0.0.7'] = { max_sessions = 3 } } } },", "");
        try (AutoCloseable r = setup.resources()) {
            var config = setup.listeners().get(0);
            var limit = config.sourceLimits().get(0);
            assertThat(limit.cidr()).isEqualTo("10.0.0.0/24");
            assertThat(limit.maxSessions()).isEqualTo(50);
            assertThat(limit.maxSessionRate()).hasToString("20/s");
            assertThat(limit.sources().contains(InetAddress.getByName("10.0.0.200"))).isTrue();
            var alice = config.identityRules().get("alice").sourceLimits().get(0);
            assertThat(alice.maxSessions()).isEqualTo(3);
            assertThat(alice.maxSessionRate()).isNull();
        }
    }

    @Test
    void aBadSessionRateIsAConfigErrorAtFileLine() {
        assertThatThrownBy(() -> load("source_limits = { ['10.0.0.0/24'] = { max_session_rate = '20 per s' } },", ""))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(dir.resolve("proxy.lua") + ":3: start_proxy_listener.source_limits['10.0.0.0/24']: "
                        + "key 'max_session_rate'")
                .hasMessageContaining("20 per s");
    }

    @Test
    void aTypoOfTheKeyIsStillRejected() {
        assertThatThrownBy(() -> load("allowed_destination = { '127.0.0.0/8' },", ""))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining(":3: start_proxy_listener: unknown key 'allowed_destination'");
    }

    @Test
    void requireAuthWithoutAnAuthHandlerIsAConfigErrorAtFileLine() {
        assertThatThrownBy(() -> load("require_auth = true,", ""))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(dir.resolve("proxy.lua") + ":3: start_proxy_listener: require_auth = true")
                .hasMessageContaining("proxy_server_auth_rfc1929");
    }

    @Test
    void requireAuthWithAnAuthHandlerHasAnAuthenticator() throws Exception {
        ProxySetup setup = load("require_auth = true,",
                "kumo.on('proxy_server_auth_rfc1929', function(user, password) return user == 'a' end)");
        try (AutoCloseable r = setup.resources()) {
            assertThat(setup.listeners().get(0).requireAuth()).isTrue();
            assertThat(setup.authenticator()).isNotNull();
        }
    }

    /** Nothing would check a password, so the proxy must not ask for one (SocksHandshake chooses 0x00). */
    @Test
    void withoutAnAuthHandlerThereIsNoAuthenticator() throws Exception {
        ProxySetup setup = load("", "");
        try (AutoCloseable r = setup.resources()) {
            assertThat(setup.authenticator()).isNull();
        }
    }
}
