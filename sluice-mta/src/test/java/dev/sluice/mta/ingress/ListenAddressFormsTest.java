package dev.sluice.mta.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.ingress.http.HttpListenerModule;
import dev.sluice.mta.ingress.smtp.EsmtpListenerConfig;
import dev.sluice.mta.ingress.smtp.EsmtpListenerModule;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code listen} forms KumoMTA binds, for {@code start_esmtp_listener} and {@code start_http_listener}. */
class ListenAddressFormsTest {
    @TempDir
    Path dir;

    private final EsmtpListenerModule esmtp = new EsmtpListenerModule();
    private final HttpListenerModule http = new HttpListenerModule();

    private Path policy(String init) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "local kumo = require 'kumo'\nkumo.on('init', function()\n" + init + "\nend)\n");
        return file;
    }

    private void runInit(Path file) throws PolicyException {
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(esmtp, http), null))) {
            policy.runOnce("init");
        }
    }

    @ParameterizedTest(name = "{0} binds {1} port {2}")
    @CsvSource(delimiter = '|', value = {
        "0:25            | 0.0.0.0   | 25",
        ":25             | 0.0.0.0   | 25",
        "[::]:25         | ::        | 25",
        "0.0.0.0:25      | 0.0.0.0   | 25",
        "127.0.0.1:0     | 127.0.0.1 | 0",
        "[::1]:2525      | ::1       | 2525",
        "localhost:2525  | 127.0.0.1 | 2525",
    })
    void eachFormBindsTheRightAddress(String listen, String address, int port) throws Exception {
        runInit(policy("kumo.start_esmtp_listener { listen = '" + listen + "' }\n"
                + "kumo.start_http_listener { listen = '" + listen + "' }"));
        var expected = new InetSocketAddress(InetAddress.getByName(address), port);
        assertThat(esmtp.listeners()).extracting(EsmtpListenerConfig::listen).containsExactly(expected);
        assertThat(http.listeners()).extracting(HttpListenerConfig::listen).containsExactly(expected);
    }

    @ParameterizedTest(name = "{1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "start_esmtp_listener | 127.0.0.1        | is not host:port",
        "start_http_listener  | 127.0.0.1:99999  | port 99999 in '127.0.0.1:99999' is out of range",
        "start_esmtp_listener | no such host:25  | 'no such host' in 'no such host:25' is neither an IP address nor a host name",
        "start_http_listener  | host.invalid:25  | host name 'host.invalid' in 'host.invalid:25' does not resolve",
        "start_esmtp_listener | ::1:25           | is not host:port (write IPv6 addresses as [addr]:port)",
    })
    void aBadAddressIsRefusedWithFileLineAndReason(String function, String listen, String reason) throws Exception {
        Path file = policy("local x = 1\nkumo." + function + " { listen = '" + listen + "' }");
        assertThatThrownBy(() -> runInit(file))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(file + ":4: " + function + ": ")
                .hasMessageContaining(reason);
    }
}
