package dev.sluice.mta.log;

import dev.sluice.egress.connect.SourceAddress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The JSON a log consumer written for KumoMTA expects, field for field. */
class LogRecordTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final UUID NODE = UUID.fromString("557f3ad4-2c8c-11ee-976e-782d7e12e173");

    private static JsonNode tree(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void deliveryThroughSocks5HasKumoMtasFieldNamesAndShapes() throws Exception {
        Instant created = Instant.parse("2026-11-23T09:59:58.250Z");
        Instant now = Instant.parse("2026-11-23T10:00:00.123456Z");
        LogRecord r = LogRecord.builder(RecordType.Delivery, now)
                .id("1d98076abbbc11ed940250ebf67f93bd")
                .sender("user@sender.example.com")
                .recipient("user@recipient.example.com")
                .queue("campaign:tenant@recipient.example.com")
                .site("ip-1->mx.recipient.example.com")
                .size(1047)
                .response(250, "2.0.0", "OK ids=8a5475cc", ".")
                .peerAddress(PeerAddress.of("mx.recipient.example.com.", InetAddress.getByName("127.0.0.1")))
                .created(created)
                .numAttempts(1)
                .egressPool("pool-1")
                .egressSource("ip-1")
                .sourceAddress(SourceAddress.socks5(new InetSocketAddress("127.0.0.7", 5555),
                        new InetSocketAddress("127.0.0.1", 1080)))
                .meta(Map.of("tenant", "t1"))
                .headers(Map.of("Subject", "hello"))
                .deliveryProtocol("ESMTP")
                .receptionProtocol("ESMTP")
                .nodeid(NODE)
                .build();

        assertThat(tree(r.toJson())).isEqualTo(tree("""
                {
                  "type": "Delivery",
                  "id": "1d98076abbbc11ed940250ebf67f93bd",
                  "sender": "user@sender.example.com",
                  "recipient": "user@recipient.example.com",
                  "queue": "campaign:tenant@recipient.example.com",
                  "site": "ip-1->mx.recipient.example.com",
                  "size": 1047,
                  "response": {
                    "code": 250,
                    "enhanced_code": {"class": 2, "subject": 0, "detail": 0},
                    "content": "OK ids=8a5475cc",
                    "command": "."
                  },
                  "peer_address": {"name": "mx.recipient.example.com.", "addr": "127.0.0.1"},
                  "timestamp": 1795428000,
                  "event_time": "2026-11-23T10:00:00.123456Z",
                  "created": 1795427998,
                  "created_time": "2026-11-23T09:59:58.250Z",
                  "num_attempts": 1,
                  "bounce_classification": "Uncategorized",
                  "egress_pool": "pool-1",
                  "egress_source": "ip-1",
                  "source_address": {"address": "127.0.0.7:5555", "server": "127.0.0.1:1080", "protocol": "socks5"},
                  "feedback_report": null,
                  "meta": {"tenant": "t1"},
                  "headers": {"Subject": "hello"},
                  "delivery_protocol": "ESMTP",
                  "reception_protocol": "ESMTP",
                  "nodeid": "557f3ad4-2c8c-11ee-976e-782d7e12e173"
                }
                """));
        assertThat(r.toJson()).doesNotContain("\n").startsWith("{\"type\":\"Delivery\",\"id\":");
    }

    @Test
    void absentValuesAreNullOrLeftOutAsKumoMtaDoes() throws Exception {
        LogRecord r = LogRecord.builder(RecordType.Expiration, Instant.ofEpochSecond(1_700_000_000)).nodeid(NODE).build();
        JsonNode t = tree(r.toJson());
        for (String nullField : List.of("peer_address", "egress_pool", "egress_source", "source_address",
                "feedback_report", "delivery_protocol", "reception_protocol")) {
            assertThat(t.has(nullField)).as(nullField).isTrue();
            assertThat(t.get(nullField).isNull()).as(nullField).isTrue();
        }
        for (String absent : List.of("tls_cipher", "tls_protocol_version", "tls_peer_subject_name", "provider_name",
                "session_id")) {
            assertThat(t.has(absent)).as(absent).isFalse();
        }
        assertThat(t.get("site").asText()).isEmpty();
        assertThat(t.get("meta").isObject()).isTrue();
        assertThat(t.get("response").get("enhanced_code").isNull()).isTrue();
        assertThat(t.get("created").asLong()).isEqualTo(1_700_000_000L);
        assertThat(t.get("event_time").asText()).isEqualTo("2023-11-14T22:13:20Z");
    }

    @Test
    void haproxyAndDirectSourceAddresses() throws Exception {
        var proxy = new InetSocketAddress("127.0.0.1", 5000);
        assertThat(tree(JSON.writeValueAsString(SourceAddress.haproxy(InetAddress.getByName("10.0.0.1"), proxy))))
                .isEqualTo(tree("{\"address\":\"10.0.0.1:0\",\"server\":\"127.0.0.1:5000\",\"protocol\":\"haproxy\"}"));
        assertThat(tree(JSON.writeValueAsString(SourceAddress.direct(new InetSocketAddress("::1", 2525)))))
                .isEqualTo(tree("{\"address\":\"[::1]:2525\"}"));
    }

    @Test
    void aSocks5ProxyThatReportsNoBoundAddressIsSaidToHaveReportedNone() throws Exception {
        // a CONNECT-only server (microsocks) answers BND 0.0.0.0:0: printing that as the source would be false
        var unreported = SourceAddress.socks5(new InetSocketAddress("0.0.0.0", 0), new InetSocketAddress("127.0.0.1", 1080));
        assertThat(tree(JSON.writeValueAsString(unreported))).isEqualTo(tree(
                "{\"address\":null,\"server\":\"127.0.0.1:1080\",\"protocol\":\"socks5\","
                        + "\"note\":\"source address not reported by the proxy\"}"));
        LogRecord r = LogRecord.builder(RecordType.Delivery, Instant.parse("2026-11-23T10:00:00Z")).nodeid(NODE)
                .sourceAddress(unreported).build();
        assertThat(LogRecord.parse(r.toJson())).isEqualTo(r);
        assertThat(LogLineFormatter.format(r.toJson())).contains("from=unreported via socks5");
        assertThat(SourceAddress.socks5(new InetSocketAddress("127.0.0.7", 0), new InetSocketAddress("127.0.0.1", 1080))
                .address()).isEqualTo("127.0.0.7:0"); // an address without a port is still an address
    }

    @Test
    void tlsAndSessionFieldsWhenKnown() throws Exception {
        UUID session = UUID.randomUUID();
        LogRecord r = LogRecord.builder(RecordType.Delivery, Instant.now()).nodeid(NODE)
                .tlsCipher("TLS_AES_256_GCM_SHA384").tlsProtocolVersion("TLSv1.3")
                .tlsPeerSubjectName(List.of("CN=mx.example")).providerName("example").sessionId(session).build();
        JsonNode t = tree(r.toJson());
        assertThat(t.get("tls_cipher").asText()).isEqualTo("TLS_AES_256_GCM_SHA384");
        assertThat(t.get("tls_protocol_version").asText()).isEqualTo("TLSv1.3");
        assertThat(t.get("tls_peer_subject_name").get(0).asText()).isEqualTo("CN=mx.example");
        assertThat(t.get("provider_name").asText()).isEqualTo("example");
        assertThat(t.get("session_id").asText()).isEqualTo(session.toString());
    }

    @Test
    void aBatchHasAnArrayOfRecipientsAndReadsBack() throws Exception {
        LogRecord r = LogRecord.builder(RecordType.TransientFailure, Instant.now()).nodeid(NODE)
                .recipients(List.of("a@x.example", "b@x.example")).response(451, "4.7.1", "try later", "RCPT TO")
                .build();
        assertThat(tree(r.toJson()).get("recipient")).isEqualTo(tree("[\"a@x.example\",\"b@x.example\"]"));
        assertThat(LogRecord.parse(r.toJson())).isEqualTo(r);
    }

    @Test
    void readsBackWhatItWrote() {
        Message m = new Message(MessageId.next(Instant.parse("2026-11-23T09:00:00.5Z")), "s@a.example", "r@b.example",
                Map.of("reception_protocol", "HTTP"), "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
        LogRecord r = LogRecord.builder(RecordType.Reception, Instant.parse("2026-11-23T09:00:01.75Z")).message(m)
                .queue("b.example").nodeid(NODE).build();
        assertThat(r.id()).isEqualTo(m.id().toString());
        assertThat(r.size()).isEqualTo(m.data().length);
        assertThat(r.receptionProtocol()).isEqualTo("HTTP");
        assertThat(r.createdTime()).isEqualTo(Instant.parse("2026-11-23T09:00:00.5Z"));
        LogRecord back = LogRecord.parse(r.toJson());
        assertThat(back).isEqualTo(r);
        assertThat(back.eventTime()).isEqualTo(Instant.parse("2026-11-23T09:00:01.75Z"));
        assertThat(back.firstRecipient()).isEqualTo("r@b.example");
    }
}
