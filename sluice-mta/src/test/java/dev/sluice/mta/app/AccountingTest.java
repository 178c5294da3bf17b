package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.accounting.DailyCounts;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** kumo.configure_accounting_db_path: daily received/delivered counts, on the admin route and across a restart. */
class AccountingTest extends MtaAppTestBase {
    private Path policy(int sinkPort) throws Exception {
        String lua = """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_accounting_db_path('%1$s/accounting')
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%2$d' } } } }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(dir.toAbsolutePath(), sinkPort);
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return file;
    }

    private JsonNode accountingJson() throws Exception {
        var uri = URI.create("http://" + hostPort(app.httpAddresses().getFirst()) + "/api/admin/accounting/v1");
        try (var client = HttpClient.newHttpClient()) {
            var response = client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return new ObjectMapper().readTree(response.body());
        }
    }

    @Test
    void countsReceivedAndDeliveredPerDayAndKeepsThemAcrossRestart() throws Exception {
        sink = SmtpSink.start();
        Path policy = policy(sink.port());
        app = MtaFixture.start(policy);
        for (int i = 0; i < 3; i++) {
            ToolResult r = CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                    "sender@example.test", "--to", "rcpt@example.test", "--header", "X-Test-Id: acct-" + i);
            assertThat(r.ok()).as(r.describe()).isTrue();
        }
        sink.awaitMessages(3, WAIT);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        await().atMost(WAIT).until(() -> app.accounting().orElseThrow().counts(today).delivered() == 3);
        assertThat(app.accounting().orElseThrow().counts(today)).isEqualTo(new DailyCounts(3, 3));
        JsonNode json = accountingJson();
        assertThat(json.path(today.toString()).path("received").asLong()).isEqualTo(3);
        assertThat(json.path(today.toString()).path("delivered").asLong()).isEqualTo(3);

        app.shutdown(Duration.ofSeconds(5));
        app = MtaFixture.start(policy);

        assertThat(app.accounting().orElseThrow().counts(today)).isEqualTo(new DailyCounts(3, 3));
        assertThat(accountingJson().path(today.toString()).path("delivered").asLong()).isEqualTo(3);
    }
}
