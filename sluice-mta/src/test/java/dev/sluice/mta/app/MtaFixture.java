package dev.sluice.mta.app;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A policy for an in-JVM MtaApp: spool and logs under {@code dir}, ESMTP on a free port, mail to {@code sinkPort}. */
final class MtaFixture {
    private MtaFixture() {}

    /**
     * @param queueExtra extra make_queue_config fields, e.g. {@code retry_interval = '1s',}
     * @param extraLua   more top-level Lua (event handlers)
     */
    static Path policy(Path dir, int sinkPort, String queueExtra, String extraLua) {
        String lua = """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs', headers = { 'X-Test-Id' } }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  return kumo.make_queue_config {
                    %3$s
                    protocol = { smtp = { mx_list = { '127.0.0.1:%2$d' } } },
                  }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                %4$s
                """.formatted(dir.toAbsolutePath(), sinkPort, queueExtra, extraLua);
        try {
            Path file = dir.resolve("policy.lua");
            Files.writeString(file, lua);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An {@code init} handler: spool and logs under {@code dir}, an ESMTP (relaying for 127.0.0.1) and an HTTP listener. */
    static String initWithListeners(Path dir) {
        return """
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0', relay_hosts = { '127.0.0.1' } }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                """.formatted(dir.toAbsolutePath());
    }

    static MtaApp start(Path policy) throws Exception {
        return MtaApp.start(MtaApp.Options.of(policy).withDefaultSpool(policy.resolveSibling("default-spool")));
    }

    /** swaks sends one message with a Subject to {@code to} through the app's first ESMTP listener; it must be accepted. */
    static void sendAccepted(MtaApp app, String to, String subject) {
        var result = dev.sluice.testkit.CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to", to, "--helo", "client.test", "--header", "Subject: " + subject);
        if (!result.ok()) {
            throw new AssertionError("swaks to " + to + " failed: " + result.stdout());
        }
    }

    /**
     * {@code kumo.on('make.webhook', ...)}: a connection whose {@code send} runs {@code firstInSend} (Lua with
     * {@code message} and {@code domain} in scope), then POSTs the message data to {@code url} as
     * {@code contentType} with an X-Recipient header; a 2xx answer is delivered with "status text", any other is
     * {@code kumo.reject(failureCode, "status text")}.
     */
    static String webhookConstructor(String url, String contentType, int failureCode, String firstInSend) {
        return """
                kumo.on('make.webhook', function(domain, tenant, campaign)
                  local client = kumo.http.build_client { timeout = '3s' }
                  local connection = {}
                  function connection:send(message)
                    %s
                    local response = client:post('%s')
                      :header('Content-Type', '%s')
                      :header('X-Recipient', tostring(message:recipient()))
                      :body(message:get_data())
                      :send()
                    local disposition = response:status_code() .. ' ' .. response:text()
                    if response:status_is_success() then
                      return disposition
                    end
                    kumo.reject(%d, disposition)
                  end
                  function connection:close()
                    client:close()
                  end
                  return connection
                end)
                """.formatted(firstInSend, url, contentType, failureCode);
    }

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    static List<LogRecord> records(Path dir) {
        Path logs = dir.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        try {
            return LogReader.readAll(logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<LogRecord> records(Path dir, RecordType type) {
        return records(dir).stream().filter(r -> r.type() == type).toList();
    }
}
