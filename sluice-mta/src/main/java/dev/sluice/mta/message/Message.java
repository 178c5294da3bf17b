package dev.sluice.mta.message;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message as the MTA holds it: envelope, meta (JSON-compatible values set by ingress and by the policy's
 * {@code msg:set_meta}), and the RFC 5322 data. One recipient per message, as KumoMTA does by default
 * (batch_handling = BifurcateAlways): ingress splits a transaction with several recipients into several
 * messages that share the data.
 *
 * <p>Mutable on purpose and confined to one thread at a time: the policy edits meta and data between
 * reception and spooling; after that only the queue layer touches it.
 *
 * <p>Memory. Once spooled, the scheduled queues {@link #shrink} a message: its data leaves the heap (a later
 * {@link #data()} reads it from the {@link DataStore}, without keeping it), and so does its meta once the spool
 * holds its current version (KumoMTA's {@code ShrinkDataAndMeta}); meta changed since is kept as its JSON bytes
 * until the spool has it. What stays is the id, the envelope, the data's size and a digest of its bytes (which
 * tells the recipients of one reception that may share a transaction).
 */
public final class Message {
    private final MessageId id;
    private String sender;
    private String recipient;
    // meta, packedMeta, or the spool (storedVersion == metaVersion) has the current meta; meta and packedMeta both
    // while the map is unpacked and unchanged. Volatile so that a reader on another thread sees a complete map.
    private volatile Map<String, Object> meta;
    private volatile byte[] packedMeta;
    private int metaVersion; // changes with every setMeta (guarded by this)
    private int storedVersion = -1; // the version the spool holds durably, -1 not known
    private byte[] data; // null once shrunk (then store reads it) or while spilled
    private SpilledData spilled; // a large message's data while it is received: in a file, not on the heap
    private DataStore store;
    private int size;
    private long digest; // 0 = not known (not computed yet, or not in an older spool record)
    // whether the meta let go of holds scheduling constraints: the scheduler asks for every message it promotes,
    // and reading the meta back from the spool each time for the usual answer "none" cost two policy threads
    // their whole time with a large backlog (1 M queued, the MX down)
    private byte scheduling = SCHEDULING_NOT_KNOWN;
    private static final byte SCHEDULING_NOT_KNOWN = 0;
    private static final byte SCHEDULING_NONE = 1;
    private static final byte SCHEDULING_SOME = 2;

    public Message(MessageId id, String sender, String recipient, Map<String, Object> meta, byte[] data) {
        this.id = Objects.requireNonNull(id, "id");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.meta = new LinkedHashMap<>(meta);
        this.data = Objects.requireNonNull(data, "data");
        this.size = data.length;
    }

    /**
     * A message whose data was received into a file ({@link SpillFile}) because it is large: the data stays there
     * until the spool holds it, and is read onto the heap only when something asks for all of it ({@link #data()}).
     */
    public Message(MessageId id, String sender, String recipient, Map<String, Object> meta, SpilledData data) {
        this(id, sender, recipient, meta, new byte[0]);
        this.data = null;
        this.spilled = Objects.requireNonNull(data, "data");
        this.size = Math.toIntExact(data.size());
    }

    /**
     * A spooled message read back without its data (the spool's enumeration at start-up): its meta stays
     * packed and its data is read from {@code store} when asked for.
     *
     * @param packedMeta the meta map as JSON ({@link MetaJson})
     * @param digest     {@link #dataDigest()} as spooled, 0 when the record has none
     */
    public static Message spooled(MessageId id, String sender, String recipient, byte[] packedMeta, int size,
                                  long digest, DataStore store) {
        Message m = new Message(id, sender, recipient, Map.of(), new byte[0]);
        m.meta = null;
        m.packedMeta = Objects.requireNonNull(packedMeta, "packedMeta");
        m.data = null;
        m.store = Objects.requireNonNull(store, "store");
        m.storedVersion = m.metaVersion;
        m.size = size;
        m.digest = digest;
        return m;
    }

    public MessageId id() {
        return id;
    }

    public Instant created() {
        return id.created();
    }

    /** The envelope sender (MAIL FROM), "" for the null sender {@code <>}. */
    public String sender() {
        return sender;
    }

    /** The envelope recipient (RCPT TO). */
    public String recipient() {
        return recipient;
    }

    /** {@code msg:set_sender} in a reception event, before the message is spooled. */
    public void setSender(String sender) {
        this.sender = Objects.requireNonNull(sender, "sender");
    }

    /** {@code msg:set_recipient} in a reception event, before the message is spooled: it decides the queue. */
    public void setRecipient(String recipient) {
        this.recipient = Objects.requireNonNull(recipient, "recipient");
    }

    /** The recipient's domain, lower-cased: the default queue and routing domain. */
    public String recipientDomain() {
        int at = recipient.lastIndexOf('@');
        return (at < 0 ? "" : recipient.substring(at + 1)).toLowerCase(java.util.Locale.ROOT);
    }

    public Object meta(String key) {
        return unpacked().get(key);
    }

    public synchronized void setMeta(String key, Object value) {
        Map<String, Object> m = unpacked();
        packedMeta = null; // changed: packed again from the map
        metaVersion++;
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
    }

    /** A copy of the meta map. */
    public Map<String, Object> metaMap() {
        return new LinkedHashMap<>(unpacked());
    }

    private Map<String, Object> unpacked() {
        Map<String, Object> m = meta;
        if (m != null) {
            return m;
        }
        synchronized (this) {
            if (meta == null) {
                try {
                    meta = MetaJson.decode(packedMeta != null ? packedMeta : store.readMeta(id));
                } catch (IOException e) {
                    throw new UncheckedIOException("the meta of " + id + " cannot be read back", e);
                }
            }
            return meta;
        }
    }

    /**
     * Lets go of the meta map: entirely when the spool holds this version of it (it is read back when a key is
     * asked for), else kept as its JSON bytes (a few hundred bytes instead of a map).
     */
    public synchronized void packMeta() {
        Map<String, Object> unpacked = meta;
        if (unpacked != null) {
            scheduling = unpacked.containsKey(Scheduling.META_KEY) ? SCHEDULING_SOME : SCHEDULING_NONE;
        }
        if (store != null && storedVersion == metaVersion) {
            meta = null;
            packedMeta = null;
            return;
        }
        Map<String, Object> m = meta;
        if (m != null) {
            if (packedMeta == null) {
                packedMeta = MetaJson.encode(id, m);
            }
            meta = null;
        }
    }

    /** The version of the meta now, for {@link #metaStored} once the spool's write of it completed. */
    public synchronized int metaVersion() {
        return metaVersion;
    }

    /** The spool's write of meta version {@code version} completed: unless it changed since, memory can let it go. */
    public synchronized void metaStored(int version) {
        storedVersion = version;
        if (version == metaVersion && meta == null && store != null) {
            packedMeta = null;
        }
    }

    /** The meta as JSON ({@link MetaJson}), without unpacking it when it is packed. */
    public synchronized byte[] metaJson() {
        if (packedMeta != null) {
            return packedMeta;
        }
        if (meta != null) {
            packedMeta = MetaJson.encode(id, meta); // kept: it is the current version
            return packedMeta;
        }
        try {
            return store.readMeta(id);
        } catch (IOException e) {
            throw new UncheckedIOException("the meta of " + id + " cannot be read back", e);
        }
    }

    /**
     * True when the meta is known to hold no scheduling constraints without reading it back: it was let go of
     * with none in it (and has not been changed since, which unpacks it).
     */
    public synchronized boolean knownWithoutScheduling() {
        Map<String, Object> m = meta;
        return m != null ? !m.containsKey(Scheduling.META_KEY) : scheduling == SCHEDULING_NONE;
    }

    /** Whether the meta map is let go of now (packed, or only in the spool). */
    public boolean metaPacked() {
        return meta == null;
    }

    /** Whether the meta is only in the spool now (tests). */
    public boolean metaOnlyInSpool() {
        return meta == null && packedMeta == null;
    }

    /**
     * The data: in memory until {@link #shrink}, then read from the spool on each call (the caller holds it
     * for as long as it needs it, e.g. one delivery attempt).
     *
     * @throws UncheckedIOException when the spool cannot read it
     */
    public byte[] data() {
        byte[] d = data;
        if (d != null) {
            return d;
        }
        try {
            SpilledData s = spilled;
            if (s != null) {
                return s.read();
            }
            return store.readData(id);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the data of " + id + " from the spool: " + e.getMessage(), e);
        }
    }

    public void setData(byte[] data) {
        this.data = Objects.requireNonNull(data, "data");
        this.spilled = null;
        this.size = data.length;
        this.digest = 0;
    }

    /** New data that is still (mostly) in the file it was received into, e.g. with its headers edited. */
    public void setData(SpilledData data) {
        this.spilled = Objects.requireNonNull(data, "data");
        this.data = null;
        this.size = Math.toIntExact(data.size());
        this.digest = 0;
    }

    /**
     * The data while it is in the file it was received into (not on the heap, not shrunk yet), else null: the spool
     * writes it from there.
     */
    public SpilledData spilled() {
        return spilled;
    }

    /** Whether the data is on the heap now (not yet shrunk, or set again since). */
    public boolean dataInMemory() {
        return data != null;
    }

    /** The data's length in bytes, without reading it. */
    public int size() {
        return size;
    }

    /**
     * A 64-bit digest of the data (SHA-256's first 8 bytes, never 0), computed while the data is in memory and
     * kept after {@link #shrink}; 0 when unknown (a message spooled by an older version).
     */
    public long dataDigest() {
        if (digest == 0 && data != null) {
            digest = digestOf(data);
        } else if (digest == 0 && spilled != null) {
            digest = spilled.digest();
        }
        return digest;
    }

    /**
     * The data leaves the heap (it is in {@code store}, which reads it back when asked) and the meta is packed.
     * The digest is computed first, so that batching can still compare the data.
     */
    public void shrink(DataStore store) {
        dataDigest();
        this.store = Objects.requireNonNull(store, "store");
        this.data = null;
        this.spilled = null;
        packMeta();
    }

    /** Computes the digests of {@code messages} once per data array (the recipients of a reception share one). */
    public static void digestAll(List<Message> messages) {
        Map<Object, Long> seen = new IdentityHashMap<>();
        for (Message m : messages) {
            if (m.data != null && m.digest == 0) {
                m.digest = seen.computeIfAbsent(m.data, d -> digestOf((byte[]) d));
            } else if (m.spilled != null && m.digest == 0) {
                m.digest = seen.computeIfAbsent(m.spilled, d -> ((SpilledData) d).digest());
            }
        }
    }

    static long digestOf(byte[] bytes) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return fold(sha.digest(bytes));
    }

    /** The first 8 bytes of a SHA-256 hash as the digest (never 0). */
    static long fold(byte[] h) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (h[i] & 0xff);
        }
        return v == 0 ? 1 : v;
    }

    public String dataAsString() {
        return new String(data(), StandardCharsets.UTF_8);
    }

    /** Splits a transaction into one message per recipient, sharing the data and a copy of the meta. */
    public static List<Message> perRecipient(Instant now, String sender, List<String> recipients,
                                             Map<String, Object> meta, byte[] data) {
        return recipients.stream().map(r -> new Message(MessageId.next(now), sender, r, meta, data)).toList();
    }
}
