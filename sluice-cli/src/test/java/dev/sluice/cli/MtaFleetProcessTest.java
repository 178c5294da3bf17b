package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.RedisServer;
import dev.sluice.testkit.SinkSessions;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's fleet: three {@code bin/sluice mta} processes with one policy ({@code connection_limit = 5}, shared through
 * one {@code redis-server} by {@code kumo.configure_redis_throttles}) deliver to one verbose smtp-sink that answers
 * DATA after a second (so that every node has mail waiting and wants all its connections): the sink never has more
 * than 5 sessions open at once (unshared it has 15), and every message arrives exactly once. 45 messages by default:
 * smtp-sink's delay holds its whole (single-threaded) loop, so it takes about a message a second (the issue says
 * 3,000: {@code -Dfleet.messages=3000} with a patient {@code awaitMessages}, about an hour).
 */
class MtaFleetProcessTest {
    private static final int MESSAGES = Integer.getInteger("fleet.messages", 45);
    private static final int NODES = 3;

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private SluiceProcess node(int n, String redisUrl, int sinkPort) throws Exception {
        Path d = Files.createDirectories(dir.resolve("node-" + n));
        Path policy = d.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.configure_redis_throttles { node = 'URL', lease_duration = '10s' }
                  kumo.define_spool { name = 'data', path = 'DIR/spool', kind = 'RocksDB', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { retry_interval = '1s',
                    protocol = { smtp = { mx_list = { '127.0.0.1:PORT' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled',
                    connection_limit = 5, idle_timeout = '1s', max_deliveries_per_connection = 20 }
                end)
                """.replace("URL", redisUrl).replace("DIR", d.toAbsolutePath().toString())
                .replace("PORT", Integer.toString(sinkPort)));
        return MtaTestPolicy.start(peers, d, policy);
    }

    @Test
    void threeNodesNeverOpenMoreThanFiveConnectionsTogetherAndDeliverEachMessageOnce() throws Exception {
        RedisServer redis = peers.add(RedisServer.start());
        SmtpSink sink = peers.add(SmtpSink.builder().option("-v").dataDelay(1).start());
        List<SluiceProcess> nodes = new ArrayList<>();
        for (int n = 0; n < NODES; n++) nodes.add(node(n, redis.url(), sink.port()));

        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
            int node = n;
            var server = nodes.get(n).listener("esmtp").orElseThrow();
            clients.add(CompletableFuture.runAsync(() -> {
                try (SmtpInjector in = new SmtpInjector(server)) {
                    for (int i = node; i < MESSAGES; i += NODES) {
                        assertThat(in.sendMessage("a@example.test", "b@example.com", "m" + i)).isEqualTo(250);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        clients.forEach(CompletableFuture::join);

        List<DumpedMessage> delivered = sink.awaitMessages(MESSAGES, Duration.ofSeconds(60 + MESSAGES / 2));
        Thread.sleep(2000); // anything sent twice would show now
        Map<String, Integer> seen = new HashMap<>();
        for (DumpedMessage m : sink.messages()) seen.merge(m.header("X-Seq").orElse("?"), 1, Integer::sum);
        assertThat(seen).hasSize(MESSAGES);
        assertThat(seen.values()).allMatch(c -> c == 1);
        assertThat(delivered).hasSize(MESSAGES);
        SinkSessions sessions = SinkSessions.of(sink.logText());
        assertThat(sessions.maxConcurrent()).as("SMTP sessions open at once at the sink (%s)", sessions)
                .isLessThanOrEqualTo(5);
    }
}
