package dev.sluice.tsa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.PolicyException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A KumoMTA-style tsa_init.lua configures the daemon: its listener, its state path and its shaping data. */
class TsaLuaConfigTest {
    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();
    private TsaDaemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) daemon.close();
        client.close();
    }

    @Test
    void tsaInitStartsTheListenerOnTheConfiguredStateAndTheHandlerGivesTheRules() throws Exception {
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, TsaStateTest.RULES);
        Path state = dir.resolve("tsa-state");
        Path init = dir.resolve("tsa_init.lua");
        Files.writeString(init, """
                local tsa = require 'tsa'
                kumo.on('tsa_init', function()
                  tsa.configure_tsa_db_path('%s')
                  tsa.start_http_listener { listen = '127.0.0.1:0', trusted_hosts = { '127.0.0.1', '::1' } }
                end)
                local load_shaping = kumo.memoize(kumo.shaping.load, { name = 'tsa_shaping', ttl = '5 minutes', capacity = 4 })
                kumo.on('tsa_load_shaping_data', function()
                  return load_shaping { '%s' }
                end)
                """.formatted(state, shaping));

        daemon = TsaLuaConfig.start(init, List.of(), dir.resolve("unused"));
        String base = "http://127.0.0.1:" + daemon.address().getPort();
        var posted = client.send(HttpRequest.newBuilder(URI.create(base + "/publish_log_v1"))
                .POST(HttpRequest.BodyPublishers.ofString(TsaItem.JSON.writeValueAsString(
                        TsaStateTest.deferral(Instant.now())))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(200);
        String listed = client.send(HttpRequest.newBuilder(URI.create(base + "/get_suspension_v1/suspended.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(listed).contains("\"reason\":\"automation rule: \\\\[TS04\\\\] (Immediate, Suspend for ");
        assertThat(state).isDirectory();
        assertThat(dir.resolve("unused")).doesNotExist();
    }

    @Test
    void aTsaInitWithoutListenerIsRefusedNamingTheFile() throws Exception {
        Path init = dir.resolve("tsa_init.lua");
        Files.writeString(init, "kumo.on('tsa_init', function() end)\n");
        assertThatThrownBy(() -> TsaLuaConfig.start(init, List.of(dir.resolve("x.toml")), dir.resolve("state")))
                .isInstanceOf(PolicyException.class).hasMessageContaining("tsa_init.lua")
                .hasMessageContaining("started no http listener");
    }

    @Test
    void aBadCallReportsFileAndLine() throws Exception {
        Path init = dir.resolve("tsa_init.lua");
        Files.writeString(init, """
                local tsa = require 'tsa'
                kumo.on('tsa_init', function()
                  tsa.configure_tsa_db_path(42)
                end)
                """);
        assertThatThrownBy(() -> TsaLuaConfig.start(init, List.of(), dir.resolve("state")))
                .isInstanceOf(PolicyException.class).hasMessageContaining("tsa_init.lua:3")
                .hasMessageContaining("configure_tsa_db_path");
    }
}
