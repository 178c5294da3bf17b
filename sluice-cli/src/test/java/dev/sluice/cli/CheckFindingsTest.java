package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.FiredEvents;
import dev.sluice.testkit.SluiceProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice check} runs what {@code sluice mta} runs, without starting it, and reports as {@code file:line:
 * reason} what fails (exit 2) and what the policy asks for that Sluice does not do (exit 1). In-process: the
 * command line as {@code bin/sluice} builds it.
 */
class CheckFindingsTest {
    @TempDir
    Path dir;

    record Result(int exitCode, String stdout, String stderr) {
        String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private static Result check(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        var all = new ArrayList<String>(List.of("check"));
        all.addAll(List.of(args));
        int code = cl.execute(all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    private Path policy(String text) throws IOException {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void everyExampleAndTheBundledPolicyPass() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(SluiceProcess.home().resolve("examples"))) {
            examples = files.filter(f -> f.toString().endsWith(".lua")).sorted().toList();
        }
        assertThat(examples).isNotEmpty();
        for (Path example : examples) {
            var r = check("--policy", example.toString());
            assertThat(r.exitCode()).as(example + "\n" + r.describe()).isZero();
            assertThat(r.stderr()).as(example + "\n" + r.describe()).isEmpty();
            assertThat(r.stdout()).as(example.toString()).contains("Everything the policy asks for is done.");
        }
        var bundled = check();
        assertThat(bundled.exitCode()).as(bundled.describe()).isZero();
        assertThat(bundled.stdout()).contains("esmtp listener 127.0.0.1:2525", "http listener 127.0.0.1:8000",
                "Everything the policy asks for is done.");
    }

    @Test
    void theProductionExamplePassesWithItsSourcesPoolsAndListeners() {
        Path example = SluiceProcess.home().resolve("examples/production.lua");
        var r = check("--policy", example.toString(), "--domain", "example.net", "--source", "ip-3");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stderr()).as(r.describe()).isEmpty();
        assertThat(r.stdout()).as(r.describe())
                .contains("esmtp listener 0.0.0.0:25", "http listener 127.0.0.1:8000",
                        "spool data (RocksDB, flush = true) at /var/lib/sluice/spool", "logs in /var/lib/sluice/logs")
                .containsPattern("ip-1 +socks5 +10\\.0\\.1\\.1:5000 .*egress 192\\.0\\.2\\.1 +mta1\\.example\\.com")
                .containsPattern("ip-3 +socks5 +10\\.0\\.1\\.2:5000 .*egress 192\\.0\\.2\\.3")
                .containsPattern("transactional +ip-1:2, ip-2:1")
                .contains("Everything the policy asks for is done.");
    }

    @Test
    void initRunsWithoutOpeningSocketsOrWritingFiles() throws IOException {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort(); // held by us: a listener that really bound it would fail
            Path file = policy("""
                    kumo.on('init', function()
                      kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = true }
                      kumo.configure_local_logs { log_dir = '%1$s/logs' }
                      kumo.configure_accounting_db_path('%1$s/accounting.db')
                      kumo.dns.configure_resolver { name_servers = { '127.0.0.1:53' } }
                      kumo.start_esmtp_listener { listen = '127.0.0.1:%2$d' }
                      kumo.start_http_listener { listen = '127.0.0.1:%2$d' }
                    end)
                    """.formatted(dir, port));
            var r = check("--policy", file.toString());
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).contains("esmtp listener 127.0.0.1:" + port, "http listener 127.0.0.1:" + port,
                    "spool data (RocksDB, flush = true) at " + dir + "/spool", "logs in " + dir + "/logs",
                    "accounting database at " + dir + "/accounting.db");
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("policy.lua");
        }
    }

    @Test
    void aHandlerForAnEventSluiceNeverFiresIsReportedWhereItIsRegistered() throws IOException {
        Path file = policy("""
                local kumo = require 'kumo'

                kumo.on('get_acl_definition', function(resource) end)
                kumo.on('init', function()
                  kumo.spawn_task { event_name = 'background_job', args = {} }
                end)
                kumo.on('requeue_message', function(msg) end)
                kumo.on('background_job', function() end) -- run by the task init spawns: no finding
                """);
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines()).containsExactly(
                file + ":3: kumo.on('get_acl_definition'): Sluice never fires the event "
                        + "'get_acl_definition', so this handler never runs",
                file + ":7: kumo.on('requeue_message'): Sluice never fires the event "
                        + "'requeue_message', so this handler never runs");
    }

    @Test
    void handlersForEveryEventSluiceFiresAndForConstructorsAreNotFindings() throws IOException {
        String handlers = FiredEvents.NAMES.stream().sorted()
                .filter(e -> !e.equals("init") && !e.equals("pre_init")) // run by check itself: nothing to return
                .map(e -> "kumo.on('" + e + "', function() end)")
                .collect(Collectors.joining("\n"));
        Path file = policy(handlers + "\nkumo.on('make.webhook', function(domain, tenant, campaign) end)\n");
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void aDispositionHookHandlerIsAFindingOnlyWhenNoHookOfItsNameIsConfigured() throws IOException {
        Path file = policy("""
                local kumo = require 'kumo'
                local log_hooks = require 'policy-extras.log_hooks'
                log_hooks:new_disposition_hook { name = 'ndr', hook = function(msg, record) end }
                kumo.on('pre_init', function()
                  kumo.configure_log_disposition_hook { name = 'audit' }
                end)
                kumo.on('log_disposition_audit', function(msg, record) end)
                kumo.on('log_disposition_typo', function(msg, record) end)
                """);
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines()).containsExactly(file + ":8: kumo.on('log_disposition_typo'): no "
                + "kumo.configure_log_disposition_hook{name = 'typo'} was called, so this handler never runs");
        assertThat(r.stdout()).contains("log disposition hook ndr (event log_disposition_ndr)")
                .contains("log disposition hook audit (event log_disposition_audit)");
    }

    @Test
    void aKumoNameSluiceLacksIsReportedWhereverCheckSeesItUsed() throws IOException {
        Path file = policy("""
                local kumo = require 'kumo'
                local has_kafka = kumo.kafka.build_producer ~= nil
                kumo.on('init', function()
                  if kumo.no_such_function then end
                end)
                kumo.on('get_queue_config', function(domain)
                  local x = kumo.api.admin.bounce.v1
                  return kumo.make_queue_config {}
                end)
                """);
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines()).containsExactly(
                file + ":2: kumo.kafka.build_producer is not implemented by Sluice",
                file + ":4: kumo.no_such_function is not implemented by Sluice",
                file + ":7: kumo.api.admin.bounce.v1 is not implemented by Sluice");
    }

    @Test
    void aKumoNameSluiceLacksIsReportedInCodeCheckDoesNotRunAndInRequiredFiles() throws IOException {
        Files.writeString(dir.resolve("helper.lua"), """
                local kumo = require 'kumo'
                return {
                  -- kumo.in_a_comment()
                  sign = function(msg) return kumo.kafka.build_producer { domain = 'kumo.in_a_string' } end,
                }
                """);
        Path file = policy("""
                local kumo = require 'kumo'
                local helper = require 'helper'
                kumo.on('smtp_server_message_received', function(msg)
                  helper.sign(msg)
                  kumo.api.admin.bounce.v1 { reason = 'x' }
                  kumo.json_encode {}
                end)
                """);
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines()).containsExactly(
                dir.resolve("helper.lua") + ":4: kumo.kafka.build_producer is not implemented by Sluice",
                file + ":5: kumo.api.admin.bounce.v1 is not implemented by Sluice");
    }

    @Test
    void aKeyAcceptedButNotActedOnIsReportedWhereItIsSet() throws IOException {
        Path file = policy("""
                kumo.on('init', function()
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', trace_headers = {} }
                end)
                kumo.on('get_queue_config', function(domain)
                  local config = kumo.make_queue_config { provider_name = 'example', retry_interval = '10m' }
                  return config
                end)
                """);
        var r = check("--policy", file.toString(), "--domain", "example.net");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines().filter(l -> l.startsWith(file.toString()))).containsExactly(
                file + ":2: key 'trace_headers' of start_esmtp_listener is accepted for KumoMTA compatibility but "
                        + "not acted on by Sluice",
                file + ":5: key 'provider_name' of make_queue_config is accepted for KumoMTA compatibility but "
                        + "not acted on by Sluice");
    }

    @Test
    void everyValidateConfigHandlerRunsAndValidationFailedFailsTheCheck() throws IOException {
        Path file = policy("""
                kumo.on('validate_config', function()
                  kumo.validation_failed()
                end)
                kumo.on('validate_config', function()
                  kumo.validation_failed()
                end)
                """);
        var r = check("--policy", file.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr().lines()).containsExactly(
                file + ":2: kumo.validation_failed(): the policy found its configuration invalid",
                file + ":5: kumo.validation_failed(): the policy found its configuration invalid");
    }

    @Test
    void theEventsTheConfigurationDependsOnRunForEachDomain() throws IOException {
        Path file = policy("""
                kumo.on('init', function()
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { egress_pool = 'pool-' .. domain }
                end)
                kumo.on('get_egress_pool', function(name)
                  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' } } }
                end)
                kumo.on('get_egress_source', function(name)
                  return kumo.make_egress_source { name = name, source_address = '127.0.0.1' }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  if domain == 'b.example' then error('no path for ' .. source .. ' to ' .. site) end
                  return kumo.make_egress_path {}
                end)
                kumo.on('get_listener_domain', function(domain, listener, conn_meta)
                  if domain == 'a.example' then error('listener ' .. listener .. ' refuses ' .. domain) end
                  return kumo.make_listener_domain { relay_to = true }
                end)
                """);
        var r = check("--policy", file.toString(), "--domain", "a.example", "--domain", "b.example");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stdout()).containsPattern("pool-a\\.example\\s+ip-1:1").containsPattern("pool-b\\.example\\s+ip-1:1");
        assertThat(r.stderr().lines()).containsExactly(
                file + ":14: no path for ip-1 to b.example (in get_egress_path_config)",
                file + ":18: listener 127.0.0.1:0 refuses a.example (in get_listener_domain)");
    }
}
