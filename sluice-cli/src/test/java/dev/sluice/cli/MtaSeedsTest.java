package dev.sluice.cli;

import static dev.sluice.cli.MtaRoutesTest.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.egress.connect.SourceAddress;
import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandPeer;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.NetNamespace;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed 001 blocks, unmodified (loaded with dofile), driving {@code bin/sluice mta} inside a network
 * namespace with the seeds' addresses (as {@link DeliverSeedsTest} does for deliver): swaks in the
 * namespace → mta on 10.0.5.1 → the proxy on 10.0.5.10:5000 → smtp-sink on 10.0.0.50:2525, which must
 * see 10.0.0.1 and the seed's EHLO name.
 */
class MtaSeedsTest {
    private static final String SINK = "10.0.0.50";
    private static final int SINK_PORT = 2525;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private NetNamespace ns;
    private SmtpSink sink;

    @BeforeEach
    void namespaceWithTheSeedsAddressesAndASink() {
        ns = peers.add(NetNamespace.create()); // first in, last closed: after the peers inside it
        for (String cidr : List.of("10.0.0.1/32", "10.0.5.1/32", "10.0.5.10/32", SINK + "/32")) {
            ns.addAddress(cidr);
        }
        sink = peers.add(SmtpSink.builder().namespace(ns).host(SINK).port(SINK_PORT).start());
    }

    /** The seed by dofile, plus only what an MTA needs around it: spool, logs, listener, pool, queue. */
    private SluiceProcess mtaWithSeed(String seedFile) throws IOException {
        Path seed = SluiceProcess.home().resolve("sluice-policy/src/test/resources/seeds").resolve(seedFile);
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                dofile('%2$s')
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = true }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '10.0.5.1:0', relay_hosts = { '10.0.0.0/8' } }
                end)
                kumo.on('get_egress_pool', function(name)
                  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' } } }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { egress_pool = 'pool-1', retry_interval = '2s',
                    protocol = { smtp = { mx_list = { '%3$s:%4$d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(dir.toAbsolutePath(), seed, SINK, SINK_PORT));
        return peers.add(SluiceProcess.builder().namespace(ns).args("mta", "--policy", policy.toString())
                .workDir(dir).start());
    }

    /** Sends one message with swaks inside the namespace; returns the Delivery record once the sink has it. */
    private LogRecord sendAndAwaitDelivery(SluiceProcess mta) throws IOException {
        ToolResult r = CommandTool.SWAKS.run(ns, List.of("--server", hostPort(mta.listener("esmtp").orElseThrow()),
                "--from", "sender@example.com", "--to", "rcpt@example.com", "--header", "X-Test-Id: seed-1"));
        assertThat(r.ok()).as(r.describe()).isTrue();
        DumpedMessage m = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(m.header("X-Test-Id")).contains("seed-1");
        assertThat(m.clientAddr()).isEqualTo("10.0.0.1");
        assertThat(m.helo()).isEqualTo("mta1.examplecorp.com");
        await().atMost(WAIT).until(() -> records(RecordType.Delivery).size() == 1);
        assertThat(records(RecordType.Reception)).hasSize(1);
        LogRecord delivery = records(RecordType.Delivery).getFirst();
        assertThat(delivery.egressSource()).isEqualTo("ip-1");
        return delivery;
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }

    @Test
    void seed001Socks5ThroughSluiceProxyLeavesFrom10001() throws IOException {
        peers.add(SluiceProcess.builder().namespace(ns).host("10.0.5.10").port(5000)
                .args("proxy", "--listen", "10.0.5.10:5000", "--allow-destination", SINK + "/32").start()); // the sink is on this host
        SluiceProcess mta = mtaWithSeed("seed001_socks5.lua");

        SourceAddress source = sendAndAwaitDelivery(mta).sourceAddress();

        assertThat(source.address()).matches("10\\.0\\.0\\.1:\\d+");
        assertThat(source.server()).isEqualTo("10.0.5.10:5000");
        assertThat(source.protocol()).isEqualTo("socks5");
    }

    @Test
    void seed001HaproxyThroughTheSeedsHaproxyLeavesFrom10001() throws IOException {
        Path cfg = dir.resolve("haproxy.cfg");
        try (InputStream in = MtaSeedsTest.class.getResourceAsStream("/seeds/haproxy-seed000.cfg")) {
            assertThat(in).as("test resource seeds/haproxy-seed000.cfg").isNotNull();
            Files.write(cfg, in.readAllBytes());
        }
        peers.add(CommandPeer.builder("haproxy", port -> List.of("haproxy", "-db", "-V", "-f", cfg.toString()))
                .namespace(ns).host("10.0.5.10").port(5000).start());
        SluiceProcess mta = mtaWithSeed("seed001_haproxy.lua");

        SourceAddress source = sendAndAwaitDelivery(mta).sourceAddress();

        assertThat(source.address()).isEqualTo("10.0.0.1:0");
        assertThat(source.server()).isEqualTo("10.0.5.10:5000");
        assertThat(source.protocol()).isEqualTo("haproxy");
    }
}
