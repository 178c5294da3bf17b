package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code require 'policy-extras.listener_domains'}: a KumoMTA user's listener_domains.toml decides which recipient
 * domains a listener relays to, wildcards and per-listener blocks included; a mistake stops the start naming the
 * file and block.
 */
class ListenerDomainsHelperTest extends MtaAppTestBase {
    private Path policy(String toml) throws Exception {
        Files.writeString(dir.resolve("listener_domains.toml"), toml);
        Path file = dir.resolve("init.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local listener_domains = require 'policy-extras.listener_domains'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = {} }
                end)
                kumo.on('get_listener_domain', listener_domains:setup { 'DIR/listener_domains.toml' })
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString())
                .replace("PORT", String.valueOf(sink == null ? 0 : sink.port())));
        return file;
    }

    private ToolResult swaks(String to) {
        return swaks("sender@example.test", to);
    }

    private ToolResult swaks(String from, String to) {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from", from, "--to", to);
    }

    @Test
    void relayToComesFromTheFileWithWildcardsAndListenerBlocks() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                ["example.com"]
                relay_to = true

                ["*.example.net"]
                relay_to = true

                ["closed.example.net"]
                relay_to = false

                [listener."10.9.9.9:25"."only-there.example"]
                relay_to = true
                """));
        assertThat(swaks("a@example.com").ok()).isTrue();
        assertThat(swaks("b@mx.example.net").ok()).isTrue();
        ToolResult apex = swaks("c@example.net"); // "*.example.net" is below example.net, not example.net itself
        ToolResult closed = swaks("d@closed.example.net");
        ToolResult elsewhere = swaks("e@only-there.example");
        assertThat(apex.ok()).isFalse();
        assertThat(apex.stdout()).containsPattern("<\\*\\* +5\\d\\d");
        assertThat(closed.ok()).isFalse();
        assertThat(elsewhere.ok()).isFalse();
        assertThat(sink.awaitMessages(2, WAIT)).hasSize(2);
    }

    @Test
    void aCatchAllBlockRelaysEveryOtherDomain() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                ["*"]
                relay_to = true
                ["private.example"]
                relay_to = false
                """));
        assertThat(swaks("a@anything.example").ok()).isTrue();
        assertThat(swaks("b@private.example").ok()).isFalse();
    }

    @Test
    void relayFromLetsAClientInItsCidrsSendFromThatDomainToAnyDomain() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                ["send.example"]
                relay_from = ["127.0.0.0/8"]

                ["elsewhere.example"]
                relay_from = ["10.0.0.0/8"]
                """));
        ToolResult ours = swaks("news@send.example", "someone@anywhere.example");
        ToolResult notFromHere = swaks("news@elsewhere.example", "someone@anywhere.example");
        ToolResult unknown = swaks("news@unknown.example", "someone@anywhere.example");
        assertThat(ours.ok()).as(ours.describe()).isTrue();
        assertThat(notFromHere.ok()).isFalse();
        assertThat(notFromHere.stdout()).contains("550 5.7.1 relaying to <someone@anywhere.example> not permitted");
        assertThat(unknown.ok()).isFalse();
        assertThat(sink.awaitMessages(1, WAIT)).hasSize(1);
    }

    @Test
    void aMistakeStopsTheStartNamingTheFileAndBlock() throws Exception {
        Path file = policy("""
                ["example.com"]
                relay_too = true
                """);
        assertThatThrownBy(() -> app = MtaFixture.start(file))
                .hasMessageContaining(dir.resolve("listener_domains.toml") + ": [\"example.com\"]: ")
                .hasMessageContaining("relay_too");
    }
}
