package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code require 'policy-extras.queue'}: a KumoMTA user's queues.toml sets each message's tenant and campaign from
 * headers (removing them), refuses unknown tenants and tenants that need AUTH, routes by routing_domain, and
 * composes the queue config from default, domain, tenant and domain+tenant blocks.
 */
class QueueHelperTest extends MtaAppTestBase {
    private Path policy(String toml) throws Exception {
        Files.writeString(dir.resolve("queues.toml"), toml.replace("SINK", "127.0.0.1:" + sink.port()));
        Path file = dir.resolve("init.lua");
        Files.writeString(file, """
                local kumo = require 'kumo'
                local queue_module = require 'policy-extras.queue'
                local queue_helper = queue_module:setup { 'DIR/queues.toml' }
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs', meta = { 'tenant', 'campaign', 'routing_domain' } }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.0/8' } }
                end)
                kumo.on('smtp_server_message_received', function(msg)
                  queue_helper:apply(msg)
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString()));
        return file;
    }

    private ToolResult swaks(String to, String... headers) {
        List<String> args = new ArrayList<>(List.of("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to", to));
        for (String h : headers) {
            args.add("--add-header");
            args.add(h);
        }
        return CommandTool.SWAKS.run(args.toArray(String[]::new));
    }

    @Test
    void tenantAndCampaignComeFromHeadersWhichAreRemoved() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                tenant_header = "X-Tenant"
                remove_tenant_header = true
                campaign_header = "X-Campaign"
                remove_campaign_header = true
                default_tenant = "house"

                [tenant.house]
                [tenant.acme]
                max_age = "2 hours"

                [queue.default]
                protocol = { smtp = { mx_list = ["SINK"] } }

                [queue."example.com"]
                routing_domain = "routed.example"
                """));
        assertThat(swaks("a@example.com", "X-Tenant: acme", "X-Campaign: spring").ok()).isTrue();
        assertThat(swaks("b@example.org").ok()).isTrue();
        var delivered = sink.awaitMessages(2, WAIT);
        assertThat(delivered).allSatisfy(m -> {
            assertThat(m.header("X-Tenant")).isEmpty();
            assertThat(m.header("X-Campaign")).isEmpty();
        });
        await().atMost(WAIT).until(() -> MtaFixture.records(dir, RecordType.Delivery).size() == 2);
        List<LogRecord> records = MtaFixture.records(dir, RecordType.Delivery);
        assertThat(records).extracting(LogRecord::queue)
                .containsExactlyInAnyOrder("spring:acme@example.com!routed.example", "house@example.org");
    }

    @Test
    void anUnknownTenantAndATenantThatNeedsAuthAreRefused() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(policy("""
                tenant_header = "X-Tenant"
                [tenant.open]
                [tenant.locked]
                require_authz = ["alice"]
                [queue.default]
                protocol = { smtp = { mx_list = ["SINK"] } }
                """));
        ToolResult unknown = swaks("a@example.com", "X-Tenant: nobody");
        ToolResult locked = swaks("a@example.com", "X-Tenant: locked");
        assertThat(unknown.ok()).isFalse();
        assertThat(unknown.stdout()).contains("550 5.7.1 tenant 'nobody' (from the X-Tenant header) is not defined");
        assertThat(locked.ok()).isFalse();
        assertThat(locked.stdout()).contains("550 5.7.1 tenant 'locked' requires SMTP AUTH");
        assertThat(swaks("a@example.com", "X-Tenant: open").ok()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT)).hasSize(1);
    }

    @Test
    void aBadValueStopsTheStartNamingTheFileAndBlock() throws Exception {
        sink = SmtpSink.start();
        Path file = policy("""
                [queue."example.com"]
                max_age = "soon"
                """);
        assertThatThrownBy(() -> app = MtaFixture.start(file))
                .hasMessageContaining(dir.resolve("queues.toml") + ": [queue.\"example.com\"]: ")
                .hasMessageContaining("max_age");
    }
}
