package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.policy.throttle.Throttles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's bounces and suspensions shared by every node of a fleet, through the Redis of
 * {@code kumo.configure_redis_throttles}: so one {@code sluice bounce}, {@code sluice suspend} or TSA action (the
 * shaping helper applies those through {@code kumo.api.admin}) holds on every node.
 *
 * <p>In Redis: the hash {@link #KEY}, one field per target (the kind and the criteria, or the ready queue name: a new
 * entry for a target replaces the old one fleet-wide, as on one node), holding the entry as JSON with its id and
 * expiry, or a tombstone (id, {@code cancelled}) when it was cancelled before its expiry. Expired fields are pruned
 * at each write and the hash itself expires with its last entry. Each write is followed by a message on
 * {@link #CHANNEL} (the writing node's id) that makes the other nodes read the hash again at once; they also read
 * it every {@link #RESYNC} and when they start, so a node that starts later, or missed a message, catches up.
 *
 * <p>Reading it again ({@link #resync}) makes this node agree with Redis: an entry there that this node lacks is
 * adopted, a tombstone of an entry this node has removes it, and an entry of this node that Redis lacks (added
 * while Redis was away, or Redis restarted empty) is written there. Redis is unreachable: each node keeps and
 * enforces its own entries (and says so once); what was ordered or cancelled here meanwhile is written when Redis
 * answers again. The counts of bounced messages stay per node. A cancellation made while Redis is away is kept in
 * a file beside the spool ({@code <spool>.admin-cancelled.json}) until Redis has its tombstone (or the entry's expiry
 * passes), so a node restarted before Redis answers does not take the entry back; and a tombstone in Redis is
 * never overwritten by the entry it cancelled (a node that missed the cancellation cannot bring it back).
 */
public final class AdminShare implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminShare.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sluice.admin.entries";
    static final String CHANNEL = "sluice.admin.changed";
    static final Duration RESYNC = Duration.ofSeconds(5);

    private final AdminControl admin;
    /** Entries added here and not yet written to Redis. */
    private final Set<UUID> unpublished = ConcurrentHashMap.newKeySet();
    /** Entries cancelled here and not yet marked in Redis; kept in {@link #pending} meanwhile. */
    private final Map<UUID, AdminEntry> cancelled = new ConcurrentHashMap<>();
    private final Path pending;
    private volatile SharedHash hash;
    // only on the worker
    private final Set<String> unreadable = new java.util.HashSet<>();

    private AdminShare(AdminControl admin, Path pending) {
        this.admin = admin;
        this.pending = pending;
    }

    /**
     * Shares {@code admin}'s entries through the Redis of {@code throttles} when it shares its limits there (else
     * does nothing and returns null). Reads what is in force in the fleet before it returns (bounded by Redis'
     * {@code response_timeout}), so that the first message of a node that starts later already obeys it.
     * {@code pending} keeps this node's cancellations that Redis does not have yet, across restarts.
     */
    public static AdminShare startIfShared(AdminControl admin, Throttles throttles, Path pending) {
        if (!throttles.sharing()) {
            return null;
        }
        AdminShare share = new AdminShare(admin, pending);
        share.loadPending();
        share.hash = SharedHash.start(throttles, KEY, CHANNEL, new SharedHash.Lines("admin",
                "bounces and suspensions are shared with the fleet again", "bounces and suspensions are kept and "
                        + "enforced on this node only (those made here are shared when it answers again)"),
                "mta-admin-share", share::resync, RESYNC);
        admin.replicate(share.new Replicator());
        share.hash.startNow(share::resync, "the first read of the fleet's bounces and suspensions");
        return share;
    }

    /** What {@link AdminControl} reports of the changes made on this node: written to Redis on the worker. */
    private final class Replicator implements AdminControl.Replication {
        @Override
        public void added(AdminEntry entry) {
            unpublished.add(entry.id()); // before the next resync could see the entry
            hash.later(() -> {
                if (hash.connected()) push(entry);
            });
        }

        @Override
        public void cancelled(AdminEntry entry) {
            unpublished.remove(entry.id());
            cancelled.put(entry.id(), entry);
            savePending(); // before the caller is told: a restart before Redis answers keeps the cancellation
            hash.later(() -> {
                if (hash.connected()) tombstone(entry);
            });
        }
    }

    // ---- on the worker ----

    /** Makes this node agree with the fleet's entries in Redis (see the class comment). */
    void resync() {
        if (!hash.connected()) {
            if (cancelled.values().removeIf(e -> !e.expires().isAfter(Instant.now()))) {
                savePending(); // a tombstone is kept no longer than the entry would have lasted
            }
            return;
        }
        try {
            for (AdminEntry e : List.copyOf(cancelled.values())) {
                tombstone(e);
            }
            Map<String, JsonNode> remote = new HashMap<>();
            hash.readAll().forEach((field, value) -> {
                JsonNode v = parse(field, value);
                if (v != null && v.path("expires_ms").asLong() > System.currentTimeMillis()) {
                    remote.put(field, v);
                }
            });
            List<AdminEntry> adopt = new ArrayList<>();
            List<UUID> drop = new ArrayList<>();
            List<AdminEntry> push = new ArrayList<>();
            for (AdminEntry mine : admin.inForce()) {
                JsonNode there = remote.remove(field(mine));
                if (there == null || unpublished.contains(mine.id())) {
                    push.add(mine); // new here, or Redis lost it
                } else if (there.path("cancelled").asBoolean(false)) {
                    drop.add(mine.id()); // cancelled elsewhere (or replaced, and that cancelled)
                } else if (!there.path("id").asText().equals(mine.id().toString())) {
                    adopt.add(entry(there)); // replaced elsewhere
                }
            }
            for (JsonNode there : remote.values()) {
                if (!there.path("cancelled").asBoolean(false)) {
                    adopt.add(entry(there));
                }
            }
            admin.applyShared(adopt, drop);
            for (AdminEntry e : push) {
                push(e);
            }
        } catch (Exception e) {
            hash.down(e);
        }
    }

    private void push(AdminEntry e) {
        if (!e.expires().isAfter(Instant.now())) {
            unpublished.remove(e.id());
            return;
        }
        if (hash.write(field(e), shared(e).toString(), "") != null) {
            unpublished.remove(e.id());
        }
    }

    private void tombstone(AdminEntry e) {
        ObjectNode v = JSON.createObjectNode();
        v.put("id", e.id().toString());
        v.put("cancelled", true);
        v.put("expires_ms", e.expires().toEpochMilli());
        // done when written, or when the field holds a newer entry (which this cancellation does not touch)
        if (!e.expires().isAfter(Instant.now()) || hash.write(field(e), v.toString(), e.id().toString()) != null) {
            cancelled.remove(e.id());
            savePending();
        }
    }

    // ---- the shared form ----

    /** An entry as Redis and the pending file hold it. */
    private static ObjectNode shared(AdminEntry e) {
        ObjectNode v = AdminStore.write(JSON.createObjectNode(), e);
        v.remove("bounced"); // counts are per node
        v.put("kind", AdminControl.Kind.of(e).luaName);
        v.put("expires_ms", e.expires().toEpochMilli());
        return v;
    }

    /** Writes {@link #cancelled} to {@link #pending} (removes the file when there is none). */
    private synchronized void savePending() {
        try {
            if (cancelled.isEmpty()) {
                Files.deleteIfExists(pending);
                return;
            }
            ArrayNode all = JSON.createArrayNode();
            cancelled.values().forEach(e -> all.add(shared(e)));
            Path tmp = pending.resolveSibling(pending.getFileName() + ".tmp");
            Files.writeString(tmp, all.toString());
            Files.move(tmp, pending, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.error("admin: keeping the cancellations Redis does not have yet in {} failed: {}", pending, e.toString());
        }
    }

    /** Reads the cancellations a previous run could not write to Redis, those not expired. */
    private void loadPending() {
        if (!Files.exists(pending)) {
            return;
        }
        try {
            for (JsonNode v : JSON.readTree(pending.toFile())) {
                AdminEntry e = entry(v);
                if (e.expires().isAfter(Instant.now())) {
                    cancelled.put(e.id(), e);
                }
            }
            if (!cancelled.isEmpty()) {
                LOG.info("admin: {} cancellation(s) made while Redis was away are written to it when it answers",
                        cancelled.size());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("admin: ignoring {}: {}", pending, e.getMessage());
        }
    }

    /** The field of an entry's target: its kind and criteria (or ready queue name), as a JSON array. */
    static String field(AdminEntry e) {
        ArrayNode a = JSON.createArrayNode().add(AdminControl.Kind.of(e).luaName);
        switch (e) {
            case AdminEntry.Bounce b -> criteria(a, b.criteria());
            case AdminEntry.Suspension s -> criteria(a, s.criteria());
            case AdminEntry.ReadySuspension r -> a.add(r.name());
        }
        return a.toString();
    }

    private static void criteria(ArrayNode a, AdminCriteria c) {
        a.add(c.campaign()).add(c.tenant()).add(c.domain()).add(c.routingDomain());
        ArrayNode names = a.addArray();
        c.queueNames().forEach(names::add);
    }

    /** A field's value, or null (logged once per value) when it is not an entry or tombstone this node reads. */
    private JsonNode parse(String field, String value) {
        try {
            JsonNode v = JSON.readTree(value);
            if (!v.path("cancelled").asBoolean(false)) {
                entry(v); // readable
            }
            return v;
        } catch (Exception e) {
            if (unreadable.add(value)) {
                LOG.warn("admin: ignoring {} field {} in Redis: {}", KEY, field, e.getMessage());
            }
            return null;
        }
    }

    private static AdminEntry entry(JsonNode v) {
        String kind = v.path("kind").asText();
        for (AdminControl.Kind k : AdminControl.Kind.values()) {
            if (k.luaName.equals(kind)) {
                return AdminStore.entry(k, v);
            }
        }
        throw new IllegalArgumentException("unknown kind '" + kind + "'");
    }

    @Override
    public void close() {
        admin.replicate(null);
        hash.close();
    }
}
