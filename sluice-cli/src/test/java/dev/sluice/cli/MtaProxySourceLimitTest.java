package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: {@code bin/sluice mta} → {@code bin/sluice proxy} with {@code source_limits} → smtp-sink. The proxy
 * refuses a BIND over the source's limit with reply 0x02; the MTA takes that as a transient failure of the source
 * (a TransientFailure record with KumoMTA's proxy failure text) and delivers the message later: nothing is lost.
 */
class MtaProxySourceLimitTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int MESSAGES = 4;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private List<LogRecord> records(RecordType type) throws IOException {
        Path logs = dir.resolve("logs");
        return Files.isDirectory(logs)
                ? LogReader.readAll(logs).stream().filter(r -> r.type() == type).toList() : List.of();
    }

    @Test
    void aSourceLimitRefusalIsATransientFailureWithTheProxyTextAndTheMessageIsDeliveredLater() throws Exception {
        // each delivery holds its session a second, so the MTA's second and third connections meet max_sessions = 1
        SmtpSink sink = peers.add(SmtpSink.builder().dataDelay(1).start());
        Path proxyConfig = dir.resolve("proxy.lua");
        Files.writeString(proxyConfig, """
                local proxy = require 'proxy'
                kumo.on('proxy_init', function()
                  proxy.start_proxy_listener {
                    listen = '127.0.0.1:0',
                    allowed_destinations = { '127.0.0.0/8' },
                    source_limits = { ['127.0.0.7'] = { max_sessions = 1 } },
                  }
                end)
                """);
        SluiceProcess proxy = peers.add(SluiceProcess.start("proxy", "--proxy-config", proxyConfig.toString()));
        String server = MtaRoutesTest.hostPort(proxy.proxyListener());
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs', headers = { 'X-Seq' } }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_egress_source', function(name)
                  return kumo.make_egress_source { name = name, socks5_proxy_server = 'PROXY',
                    socks5_proxy_source_address = '127.0.0.7' }
                end)
                kumo.on('get_egress_pool', function(name)
                  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' } } }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { egress_pool = 'pool-1', retry_interval = '1s',
                    max_retry_interval = '2s', protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled',
                    connection_limit = 3, max_deliveries_per_connection = 1 }
                end)
                """.replace("DIR", dir.toAbsolutePath().toString()).replace("PROXY", server)
                .replace("PORT", Integer.toString(sink.port())));
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        try (SmtpInjector in = new SmtpInjector(mta.listener("esmtp").orElseThrow())) {
            for (int i = 0; i < MESSAGES; i++) {
                assertThat(in.sendMessage("a@example.test", "b@example.com", "m" + i)).isEqualTo(250);
            }
        }

        List<DumpedMessage> delivered = sink.awaitMessages(MESSAGES, WAIT);
        Thread.sleep(1000); // anything sent twice would show now
        Map<String, Integer> seen = new HashMap<>();
        for (DumpedMessage m : sink.messages()) seen.merge(m.header("X-Seq").orElse("?"), 1, Integer::sum);
        assertThat(seen).as("each message once").hasSize(MESSAGES).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
        assertThat(delivered).hasSize(MESSAGES);

        await().atMost(WAIT).until(() -> records(RecordType.Delivery).size() == MESSAGES);
        List<LogRecord> refused = records(RecordType.TransientFailure);
        assertThat(refused).as("transient failures from the proxy's refusals").isNotEmpty();
        assertThat(refused).allSatisfy(r -> {
            assertThat(r.response().code()).isEqualTo(400);
            assertThat(r.response().content())
                    .startsWith("KumoMTA internal: failed to connect to any candidate hosts: All failures are related "
                            + "to the proxy server having an unplumbed source address.")
                    .contains("The proxy server failed to bind 127.0.0.7 via Socks5 { server: " + server)
                    .contains("ConnectionNotAllowed (reply 0x02)");
            assertThat(r.egressSource()).isEqualTo("ip-1");
        });
        // the proxy's log names the limit
        proxy.awaitLine("refused.*source_limits\\['127\\.0\\.0\\.7(/32)?'\\]\\.max_sessions = 1", WAIT);
    }
}
