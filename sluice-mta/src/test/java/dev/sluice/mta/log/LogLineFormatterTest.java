package dev.sluice.mta.log;

import dev.sluice.egress.connect.SourceAddress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogLineFormatterTest {
    @Test
    void deliveryThroughAProxyOnOneLine() throws Exception {
        LogRecord r = LogRecord.builder(RecordType.Delivery, Instant.parse("2026-11-23T10:00:00.5Z"))
                .id("abc").sender("s@a.example").recipient("r@b.example").queue("b.example").site("mx.b.example")
                .egressPool("pool-1").egressSource("ip-1")
                .sourceAddress(SourceAddress.socks5(new InetSocketAddress("127.0.0.7", 5555),
                        new InetSocketAddress("127.0.0.1", 1080)))
                .peerAddress(PeerAddress.of("mx.b.example", InetAddress.getByName("127.0.0.1")))
                .deliveryProtocol("ESMTP").numAttempts(1).response(250, "2.0.0", "ok\r\nqueued as X", ".")
                .nodeid(LogRecordTest.NODE).build();
        assertThat(LogLineFormatter.format(r.toJson())).isEqualTo(
                "2026-11-23T10:00:00Z Delivery abc <s@a.example> -> <r@b.example> queue=b.example site=mx.b.example"
                        + " pool=pool-1 source=ip-1 from=127.0.0.7:5555 via socks5 127.0.0.1:1080"
                        + " peer=mx.b.example/127.0.0.1 proto=ESMTP attempts=1: 250 2.0.0 ok / queued as X");
    }

    @Test
    void receptionWithoutResponseOrSource() {
        LogRecord r = LogRecord.builder(RecordType.Reception, Instant.parse("2026-11-23T10:00:00Z")).id("abc")
                .sender("").recipient("r@b.example").queue("b.example").receptionProtocol("HTTP").build();
        assertThat(LogLineFormatter.format(r.toJson()))
                .isEqualTo("2026-11-23T10:00:00Z Reception abc <> -> <r@b.example> queue=b.example proto=HTTP");
    }

    @Test
    void notJsonIsShownAsIs() {
        assertThat(LogLineFormatter.format("garbage")).isEqualTo("(not a record) garbage");
    }
}
