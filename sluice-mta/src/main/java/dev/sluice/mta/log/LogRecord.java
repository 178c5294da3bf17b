package dev.sluice.mta.log;

import dev.sluice.egress.connect.SourceAddress;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.sluice.mta.message.Message;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One line of the JSON log, field for field KumoMTA's record (docs/reference/log_record.md). Build with
 * {@link #builder}; the {@link LogWriter} fills {@code meta}/{@code headers} from the message and
 * {@code nodeid} when they are left unset.
 *
 * <p>Absent values follow KumoMTA's serde: {@code peer_address}, {@code egress_pool}, {@code egress_source},
 * {@code source_address}, {@code feedback_report}, {@code delivery_protocol} and {@code reception_protocol} are
 * written as {@code null}; the TLS fields, {@code provider_name} and {@code session_id} are left out.
 *
 * @param recipient one address (written as a string) or several for a batch (written as an array)
 * @param timestamp when the event happened; written as unix seconds
 * @param eventTime the same instant, written in RFC 3339 with sub-second precision
 * @param created   when the message was received; unix seconds
 * @param createdTime the same, RFC 3339
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"type", "id", "sender", "recipient", "queue", "site", "size", "response", "peer_address",
    "timestamp", "event_time", "created", "created_time", "num_attempts", "bounce_classification", "egress_pool",
    "egress_source", "source_address", "feedback_report", "meta", "headers", "delivery_protocol",
    "reception_protocol", "nodeid", "tls_cipher", "tls_protocol_version", "tls_peer_subject_name",
    "provider_name", "session_id"})
public record LogRecord(
        @JsonProperty("type") RecordType type,
        @JsonProperty("id") String id,
        @JsonProperty("sender") String sender,
        @JsonProperty("recipient")
        @JsonFormat(with = {JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
            JsonFormat.Feature.WRITE_SINGLE_ELEM_ARRAYS_UNWRAPPED})
        List<String> recipient,
        @JsonProperty("queue") String queue,
        @JsonProperty("site") String site,
        @JsonProperty("size") long size,
        @JsonProperty("response") Response response,
        @JsonProperty("peer_address") PeerAddress peerAddress,
        @JsonProperty("timestamp")
        @JsonSerialize(using = InstantJson.EpochSecondsSerializer.class)
        @JsonDeserialize(using = InstantJson.EpochSecondsDeserializer.class)
        Instant timestamp,
        @JsonProperty("event_time")
        @JsonSerialize(using = InstantJson.Rfc3339Serializer.class)
        @JsonDeserialize(using = InstantJson.Rfc3339Deserializer.class)
        Instant eventTime,
        @JsonProperty("created")
        @JsonSerialize(using = InstantJson.EpochSecondsSerializer.class)
        @JsonDeserialize(using = InstantJson.EpochSecondsDeserializer.class)
        Instant created,
        @JsonProperty("created_time")
        @JsonSerialize(using = InstantJson.Rfc3339Serializer.class)
        @JsonDeserialize(using = InstantJson.Rfc3339Deserializer.class)
        Instant createdTime,
        @JsonProperty("num_attempts") int numAttempts,
        @JsonProperty("bounce_classification") String bounceClassification,
        @JsonProperty("egress_pool") String egressPool,
        @JsonProperty("egress_source") String egressSource,
        @JsonProperty("source_address") SourceAddress sourceAddress,
        @JsonProperty("feedback_report") Object feedbackReport,
        @JsonProperty("meta") Map<String, Object> meta,
        @JsonProperty("headers") Map<String, Object> headers,
        @JsonProperty("delivery_protocol") String deliveryProtocol,
        @JsonProperty("reception_protocol") String receptionProtocol,
        @JsonProperty("nodeid") UUID nodeid,
        @JsonProperty("tls_cipher") @JsonInclude(JsonInclude.Include.NON_NULL) String tlsCipher,
        @JsonProperty("tls_protocol_version") @JsonInclude(JsonInclude.Include.NON_NULL) String tlsProtocolVersion,
        @JsonProperty("tls_peer_subject_name") @JsonInclude(JsonInclude.Include.NON_NULL)
        List<String> tlsPeerSubjectName,
        @JsonProperty("provider_name") @JsonInclude(JsonInclude.Include.NON_NULL) String providerName,
        @JsonProperty("session_id") @JsonInclude(JsonInclude.Include.NON_NULL) UUID sessionId) {

    /** KumoMTA's value when no bounce classifier is configured. */
    public static final String UNCATEGORIZED = "Uncategorized";

    private static final ObjectMapper JSON = new ObjectMapper();

    public LogRecord {
        Objects.requireNonNull(type, "type");
        id = Objects.requireNonNullElse(id, "");
        sender = Objects.requireNonNullElse(sender, "");
        recipient = List.copyOf(Objects.requireNonNullElse(recipient, List.of()));
        queue = Objects.requireNonNullElse(queue, "");
        site = Objects.requireNonNullElse(site, "");
        response = Objects.requireNonNullElse(response, new Response(0, null, "", null));
        Objects.requireNonNull(timestamp, "timestamp");
        eventTime = Objects.requireNonNullElse(eventTime, timestamp);
        created = Objects.requireNonNullElse(created, timestamp);
        createdTime = Objects.requireNonNullElse(createdTime, created);
        // the unix-second fields hold whole seconds, so that a record read back equals the one written
        timestamp = timestamp.truncatedTo(ChronoUnit.SECONDS);
        created = created.truncatedTo(ChronoUnit.SECONDS);
        bounceClassification = Objects.requireNonNullElse(bounceClassification, UNCATEGORIZED);
        meta = meta == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        headers = headers == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        tlsPeerSubjectName = tlsPeerSubjectName == null ? null : List.copyOf(tlsPeerSubjectName);
    }

    /** A record of {@code type} happening at {@code now}. */
    public static Builder builder(RecordType type, Instant now) {
        return new Builder(type, now);
    }

    /** The first (usually the only) recipient, "" if none. */
    public String firstRecipient() {
        return recipient.isEmpty() ? "" : recipient.getFirst();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** One JSON object, no line break. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses one line as written by {@link #toJson()} (or by KumoMTA; unknown fields are skipped). */
    public static LogRecord parse(String json) {
        try {
            return JSON.readValue(json, LogRecord.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a log record: " + e.getOriginalMessage(), e);
        }
    }

    /** Fluent construction; unset strings become "", unset times default to the event time. */
    public static final class Builder {
        private final RecordType type;
        private String id;
        private String sender;
        private List<String> recipient;
        private String queue;
        private String site;
        private long size;
        private Response response;
        private PeerAddress peerAddress;
        private Instant timestamp;
        private Instant created;
        private int numAttempts;
        private String bounceClassification;
        private String egressPool;
        private String egressSource;
        private SourceAddress sourceAddress;
        private Object feedbackReport;
        private Map<String, Object> meta;
        private Map<String, Object> headers;
        private String deliveryProtocol;
        private String receptionProtocol;
        private UUID nodeid;
        private String tlsCipher;
        private String tlsProtocolVersion;
        private List<String> tlsPeerSubjectName;
        private String providerName;
        private UUID sessionId;

        private Builder(RecordType type, Instant now) {
            this.type = Objects.requireNonNull(type, "type");
            this.timestamp = Objects.requireNonNull(now, "now");
        }

        private Builder(LogRecord r) {
            type = r.type;
            id = r.id;
            sender = r.sender;
            recipient = r.recipient;
            queue = r.queue;
            site = r.site;
            size = r.size;
            response = r.response;
            peerAddress = r.peerAddress;
            timestamp = r.eventTime;
            created = r.createdTime;
            numAttempts = r.numAttempts;
            bounceClassification = r.bounceClassification;
            egressPool = r.egressPool;
            egressSource = r.egressSource;
            sourceAddress = r.sourceAddress;
            feedbackReport = r.feedbackReport;
            meta = r.meta;
            headers = r.headers;
            deliveryProtocol = r.deliveryProtocol;
            receptionProtocol = r.receptionProtocol;
            nodeid = r.nodeid;
            tlsCipher = r.tlsCipher;
            tlsProtocolVersion = r.tlsProtocolVersion;
            tlsPeerSubjectName = r.tlsPeerSubjectName;
            providerName = r.providerName;
            sessionId = r.sessionId;
        }

        /**
         * Id, sender, recipient, created, size from the message, and reception_protocol from its meta key of that
         * name when set. Meta and headers are not copied here: the writer picks the configured ones.
         */
        public Builder message(Message m) {
            id = m.id().toString();
            sender = m.sender();
            recipient = List.of(m.recipient());
            created = m.created();
            size = m.size();
            if (m.meta("reception_protocol") instanceof String p) {
                receptionProtocol = p;
            }
            return this;
        }

        public Builder id(String v) { id = v; return this; }
        public Builder sender(String v) { sender = v; return this; }
        public Builder recipient(String v) { recipient = List.of(v); return this; }
        public Builder recipients(List<String> v) { recipient = v; return this; }
        public Builder queue(String v) { queue = v; return this; }
        public Builder site(String v) { site = v; return this; }
        public Builder size(long v) { size = v; return this; }
        public Builder response(Response v) { response = v; return this; }
        /** Same as {@code response(Response.of(code, enhanced, content, command))}. */
        public Builder response(int code, String enhanced, String content, String command) {
            return response(Response.of(code, enhanced, content, command));
        }
        public Builder peerAddress(PeerAddress v) { peerAddress = v; return this; }
        public Builder created(Instant v) { created = v; return this; }
        public Builder numAttempts(int v) { numAttempts = v; return this; }
        public Builder bounceClassification(String v) { bounceClassification = v; return this; }
        public Builder egressPool(String v) { egressPool = v; return this; }
        public Builder egressSource(String v) { egressSource = v; return this; }
        public Builder sourceAddress(SourceAddress v) { sourceAddress = v; return this; }
        public Builder feedbackReport(Object v) { feedbackReport = v; return this; }
        public Builder meta(Map<String, Object> v) { meta = v; return this; }
        public Builder headers(Map<String, Object> v) { headers = v; return this; }
        public Builder deliveryProtocol(String v) { deliveryProtocol = v; return this; }
        public Builder receptionProtocol(String v) { receptionProtocol = v; return this; }
        public Builder nodeid(UUID v) { nodeid = v; return this; }
        public Builder tlsCipher(String v) { tlsCipher = v; return this; }
        public Builder tlsProtocolVersion(String v) { tlsProtocolVersion = v; return this; }
        public Builder tlsPeerSubjectName(List<String> v) { tlsPeerSubjectName = v; return this; }
        public Builder providerName(String v) { providerName = v; return this; }
        public Builder sessionId(UUID v) { sessionId = v; return this; }

        public LogRecord build() {
            Instant createdAt = created == null ? timestamp : created;
            return new LogRecord(type, id, sender, recipient, queue, site, size, response, peerAddress, timestamp,
                    timestamp, createdAt, createdAt, numAttempts, bounceClassification, egressPool, egressSource,
                    sourceAddress, feedbackReport, meta, headers, deliveryProtocol, receptionProtocol, nodeid,
                    tlsCipher, tlsProtocolVersion, tlsPeerSubjectName, providerName, sessionId);
        }
    }
}
