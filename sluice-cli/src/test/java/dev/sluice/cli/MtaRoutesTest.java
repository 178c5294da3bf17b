package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.egress.connect.SourceAddress;
import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.HaproxyForward;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with real peers: swaks → {@code bin/sluice mta} → {@code bin/sluice proxy} or HAProxy →
 * smtp-sink. The sink's dump shows the source IP the route chose; the JSON logs show Reception and a
 * Delivery whose source_address names the address, the proxy and the protocol.
 */
class MtaRoutesTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** A policy whose only source is {@code ip-1} with these make_egress_source fields. */
    private Path policy(String sourceFields, int sinkPort) throws IOException {
        return MtaTestPolicy.of(dir, sinkPort).source(sourceFields).queue("retry_interval = '2s',").write();
    }

    private SluiceProcess mta(Path policy) {
        return MtaTestPolicy.start(peers, dir, policy);
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    static ToolResult swaks(SluiceProcess mta, String testId) {
        return CommandTool.SWAKS.run("--server", hostPort(mta.listener("esmtp").orElseThrow()),
                "--from", "sender@example.test", "--to", "rcpt@example.test", "--header", "X-Test-Id: " + testId);
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }

    /** Sends one message and returns its Delivery record once the sink has it (from the expected IP). */
    private LogRecord deliverOne(SluiceProcess mta, SmtpSink sink, String expectedIp) throws IOException {
        ToolResult r = swaks(mta, "route-1");
        assertThat(r.ok()).as(r.describe()).isTrue();
        DumpedMessage m = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(m.header("X-Test-Id")).contains("route-1");
        assertThat(m.clientAddr()).isEqualTo(expectedIp);
        await().atMost(WAIT).until(() -> records(RecordType.Delivery).size() == 1);
        LogRecord reception = records(RecordType.Reception).getFirst();
        LogRecord delivery = records(RecordType.Delivery).getFirst();
        assertThat(delivery.id()).isEqualTo(reception.id());
        assertThat(reception.firstRecipient()).isEqualTo("rcpt@example.test");
        assertThat(reception.receptionProtocol()).isEqualTo("ESMTP");
        // as in KumoMTA, only delivery attempts carry the egress source_address; reception has none
        assertThat(reception.sourceAddress()).isNull();
        assertThat(delivery.egressSource()).isEqualTo("ip-1");
        assertThat(delivery.egressPool()).isEqualTo("pool-1");
        assertThat(delivery.response().code()).isEqualTo(250);
        return delivery;
    }

    @Test
    void throughSluiceProxyTheSinkSeesTheBoundAddressAndTheLogsNameTheProxy() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        SluiceProcess proxy = peers.add(SluiceProcess.start("proxy", "--listen", "127.0.0.1:0", "--allow-destination", "127.0.0.0/8"));
        String server = hostPort(proxy.proxyListener());
        SluiceProcess mta = mta(policy("socks5_proxy_server = '%s', socks5_proxy_source_address = '127.0.0.7'"
                .formatted(server), sink.port()));

        SourceAddress source = deliverOne(mta, sink, "127.0.0.7").sourceAddress();

        assertThat(source.address()).matches("127\\.0\\.0\\.7:\\d+").isNotEqualTo("127.0.0.7:0");
        assertThat(source.server()).isEqualTo(server);
        assertThat(source.protocol()).isEqualTo("socks5");
    }

    @Test
    void throughHaproxyTheSinkSeesTheHeadersSourceAndTheLogsNameHaproxy() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        HaproxyForward haproxy = peers.add(HaproxyForward.start());
        SluiceProcess mta = mta(policy("ha_proxy_server = '%s', ha_proxy_source_address = '127.0.0.9'"
                .formatted(haproxy.hostPort()), sink.port()));

        SourceAddress source = deliverOne(mta, sink, "127.0.0.9").sourceAddress();

        assertThat(source.address()).isEqualTo("127.0.0.9:0");
        assertThat(source.server()).isEqualTo(haproxy.hostPort());
        assertThat(source.protocol()).isEqualTo("haproxy");
    }
}
