package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandPeer;
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
 * The seed policies, unmodified, delivering with {@code bin/sluice deliver} inside a network namespace
 * that has the seeds' own addresses: 10.0.5.1 (the MTA's local address in seed 000), 10.0.5.10 (the
 * proxy host, port 5000) and 10.0.0.1 (the egress address the destination must see). The destination
 * is smtp-sink on 10.0.0.50:2525 in the same namespace.
 */
class DeliverSeedsTest {
    private static final String SINK = "10.0.0.50";
    private static final int SINK_PORT = 2525;
    private static final String RCPT = "rcpt@example.com";

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private NetNamespace ns;
    private SmtpSink sink;
    private Path message;

    /** The seed blocks, byte for byte as the seed documents give them. */
    private static Path seed(String name) {
        return SluiceProcess.home().resolve("sluice-policy/src/test/resources/seeds").resolve(name);
    }

    @BeforeEach
    void namespaceWithTheSeedsAddressesAndASink() throws IOException {
        // Registered first so that it is closed last, after the peers running inside it.
        ns = peers.add(NetNamespace.create());
        for (String cidr : List.of("10.0.0.1/32", "10.0.5.1/32", "10.0.5.10/32", SINK + "/32")) {
            ns.addAddress(cidr);
        }
        sink = peers.add(SmtpSink.builder().namespace(ns).host(SINK).port(SINK_PORT).start());
        message = dir.resolve("message.eml");
        Files.writeString(message, "From: sender@example.com\r\nTo: " + RCPT + "\r\nSubject: seed test\r\n\r\n"
                + "Hello from the seed.\r\n");
    }

    /** A test policy that loads the seed block with dofile and adds nothing else. */
    private Path policyLoading(String seedFile) throws IOException {
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, "dofile('%s')\n".formatted(seed(seedFile)));
        return policy;
    }

    private ToolResult deliverInNamespace(Path policy) {
        return SluiceCommand.runIn(ns, "deliver", "--policy", policy.toString(), "--source", "ip-1", "--to", RCPT,
                "--from", "sender@example.com", "--mx", SINK + ":" + SINK_PORT, "--message", message.toString());
    }

    /** HAProxy on 10.0.5.10:5000 inside the namespace, with the seed's own config (bind adapted). */
    private void startSeedHaproxy() throws IOException {
        Path cfg = dir.resolve("haproxy.cfg");
        try (InputStream in = DeliverSeedsTest.class.getResourceAsStream("/seeds/haproxy-seed000.cfg")) {
            assertThat(in).as("test resource seeds/haproxy-seed000.cfg").isNotNull();
            Files.write(cfg, in.readAllBytes());
        }
        peers.add(CommandPeer.builder("haproxy", port -> List.of("haproxy", "-db", "-V", "-f", cfg.toString()))
                .namespace(ns).host("10.0.5.10").port(5000).start());
    }

    private void assertDeliveredFrom10001(ToolResult r, String route) {
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout())
                .contains("C: EHLO mta1.examplecorp.com")
                .containsPattern("(?m)^source address: " + route + "$")
                .contains("delivered " + RCPT + ": 250 2.0.0 Ok");
        List<DumpedMessage> messages = sink.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(messages).hasSize(1);
        assertThat(messages.getFirst().clientAddr()).isEqualTo("10.0.0.1");
        assertThat(messages.getFirst().helo()).isEqualTo("mta1.examplecorp.com");
        assertThat(messages.getFirst().body()).contains("Hello from the seed.");
    }

    @Test
    void seed000InitDefinesAnHaproxySourceThatLeavesFrom10001() throws IOException {
        startSeedHaproxy();
        var r = deliverInNamespace(policyLoading("seed000_init.lua"));
        assertDeliveredFrom10001(r, "10\\.0\\.0\\.1:0 via haproxy 10\\.0\\.5\\.10:5000");
    }

    @Test
    void seed001HaproxyBlockLeavesFrom10001() throws IOException {
        startSeedHaproxy();
        var r = deliverInNamespace(policyLoading("seed001_haproxy.lua"));
        assertDeliveredFrom10001(r, "10\\.0\\.0\\.1:0 via haproxy 10\\.0\\.5\\.10:5000");
    }

    @Test
    void seed001Socks5BlockThroughSluiceProxyLeavesFrom10001() throws IOException {
        peers.add(SluiceProcess.builder().namespace(ns).host("10.0.5.10").port(5000)
                .args("proxy", "--listen", "10.0.5.10:5000", "--allow-destination", SINK + "/32").start()); // the sink is on this host
        var r = deliverInNamespace(policyLoading("seed001_socks5.lua"));
        assertDeliveredFrom10001(r, "10\\.0\\.0\\.1:\\d+ via socks5 10\\.0\\.5\\.10:5000");
    }
}
