package dev.sluice.mta.admin;

import dev.sluice.mta.queue.AdminRules;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ScheduledQueues;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of the operator's admin bounces, scheduled-queue suspensions and ready-queue suspensions, whether
 * they come from the HTTP admin API, the CLI or the policy ({@code kumo.api.admin.*}). Until {@link #attach} the
 * entries are only kept (this is all {@code sluice check} does: nothing is acted on, nothing written); attached,
 * each change is saved ({@link AdminStore}) before it is acknowledged, then applied to what is queued now
 * ({@link ScheduledQueues#sweep()}, on this owner's thread), and the scheduled queues consult it for every message
 * that falls due. Entries end at their expiry (also across a restart) or when deleted by id. A new entry with the
 * same criteria (the same ready queue name) as an existing one of its kind replaces it, as in KumoMTA; one that
 * repeats an entry in force (same criteria, reason and expiry: a TSA daemon sends what is in force again when its
 * subscriber reconnects) is that entry, and changes, logs and saves nothing. Each entry is logged when it is added
 * and when it expires or is cancelled.
 */
public final class AdminControl implements AdminRules, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminControl.class);

    /** The three kinds of entry, with the names of their Lua modules and HTTP routes. */
    public enum Kind {
        BOUNCE("bounce", "/api/admin/bounce/v1"),
        SUSPEND("suspend", "/api/admin/suspend/v1"),
        SUSPEND_READY_Q("suspend_ready_q", "/api/admin/suspend-ready-q/v1");

        public final String luaName;
        public final String path;

        Kind(String luaName, String path) {
            this.luaName = luaName;
            this.path = path;
        }

        boolean holds(AdminEntry e) {
            return of(e) == this;
        }

        static Kind of(AdminEntry e) {
            return switch (e) {
                case AdminEntry.Bounce b -> BOUNCE;
                case AdminEntry.Suspension s -> SUSPEND;
                case AdminEntry.ReadySuspension r -> SUSPEND_READY_Q;
            };
        }
    }

    /**
     * Told of each entry added or cancelled on this node (by the API, the CLI or the policy), never of those applied
     * from elsewhere ({@link #applyShared}): {@link AdminShare} passes them on to the other nodes. Called under this
     * owner's lock: it must not block.
     */
    public interface Replication {
        void added(AdminEntry entry);

        void cancelled(AdminEntry entry);
    }

    private final InstantSource clock;
    private final Map<UUID, AdminEntry> entries = new LinkedHashMap<>(); // guarded by this
    private volatile List<AdminEntry> current = List.of(); // copy of entries for the lookups, replaced on change
    private AdminStore store; // null until attached
    private ScheduledQueues queues;
    private ScheduledExecutorService worker;
    private ScheduledFuture<?> expiry;
    private volatile Replication replication;

    public AdminControl(InstantSource clock) {
        this.clock = clock;
    }

    /**
     * From now on act on {@code queues} and save to {@code store}: loads the saved entries that have not expired,
     * keeps those added meanwhile (by {@code init}), saves, and applies them to what the spool re-queued.
     */
    /** The queues it acts on once {@linkplain #attach attached}; null before, and under {@code sluice check}. */
    synchronized ScheduledQueues attachedQueues() {
        return queues;
    }

    public void attach(AdminStore store, ScheduledQueues queues) throws IOException {
        List<AdminEntry> saved = store.load(clock.instant());
        synchronized (this) {
            for (AdminEntry e : saved) {
                entries.putIfAbsent(e.id(), e);
            }
            this.store = store;
            this.queues = queues;
            worker = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("mta-admin").daemon().factory());
            current = List.copyOf(entries.values());
        }
        queues.admin(this); // consulted from now on
        synchronized (this) {
            changed(); // saves, arms the expiry timer, sweeps
        }
        if (!saved.isEmpty()) {
            LOG.info("admin: {} bounce/suspension entr{} in force from {}", saved.size(),
                    saved.size() == 1 ? "y" : "ies", store.file());
        }
    }

    /** {@code admin_entries{kind}} on /metrics: entries in force per kind. */
    public void metrics(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("admin_entries")
                .help("Operator bounces and suspensions in force (kind: bounce, suspend, suspend_ready_q)")
                .labelNames("kind")
                .callback(cb -> {
                    for (Kind k : Kind.values()) {
                        cb.call(list(k).size(), k.luaName);
                    }
                }).register(registry);
    }

    // ---- adding, listing, deleting ----

    public AdminEntry.Bounce bounce(Object request) {
        return add(AdminRequests.bounce(request, clock.instant()));
    }

    public AdminEntry.Suspension suspend(Object request) {
        return add(AdminRequests.suspend(request, clock.instant()));
    }

    public AdminEntry.ReadySuspension suspendReadyQueue(Object request) {
        return add(AdminRequests.suspendReadyQueue(request, clock.instant()));
    }

    private synchronized <T extends AdminEntry> T add(T entry) {
        for (AdminEntry e : entries.values()) {
            if (sameOrder(e, entry) && e.expires().isAfter(clock.instant())) {
                @SuppressWarnings("unchecked") // sameOrder: the same kind
                T same = (T) e;
                return same;
            }
        }
        entries.values().removeIf(e -> sameTarget(e, entry));
        entries.put(entry.id(), entry);
        LOG.info("admin: {} {} until {}: {}", describe(entry), entry.id(), entry.expires(), entry.reason());
        changed();
        Replication r = replication;
        if (r != null) {
            r.added(entry);
        }
        return entry;
    }

    /** From now on tell {@code r} of each change made on this node. */
    void replicate(Replication r) {
        this.replication = r;
    }

    /** The entries in force now, oldest first. */
    List<AdminEntry> inForce() {
        Instant now = clock.instant();
        return current.stream().filter(e -> e.expires().isAfter(now)).toList();
    }

    /**
     * Applies what the fleet decided elsewhere, at once: {@code adopt} (each replacing this node's entry of the same
     * target, as a local one would) and the removal of the entries {@code drop} (cancelled on another node). Nothing
     * is passed back to {@link Replication}.
     */
    synchronized void applyShared(List<AdminEntry> adopt, List<UUID> drop) {
        for (AdminEntry e : adopt) {
            entries.values().removeIf(x -> sameTarget(x, e));
            entries.put(e.id(), e);
            LOG.info("admin: {} {} until {} (from another node): {}", describe(e), e.id(), e.expires(), e.reason());
        }
        for (UUID id : drop) {
            AdminEntry e = entries.remove(id);
            if (e != null) {
                LOG.info("admin: {} {} cancelled (on another node)", describe(e), id);
            }
        }
        if (!adopt.isEmpty() || !drop.isEmpty()) {
            changed();
        }
    }

    /** Deletes the entry {@code id} of {@code kind}; false when there is none (expired, or never was). */
    public synchronized boolean delete(Kind kind, UUID id) {
        AdminEntry e = entries.get(id);
        if (e == null || !kind.holds(e)) {
            return false;
        }
        entries.remove(id);
        LOG.info("admin: {} {} cancelled", describe(e), id);
        changed();
        Replication r = replication;
        if (r != null) {
            r.cancelled(e);
        }
        return !e.expires().isBefore(clock.instant());
    }

    /** The entries of {@code kind} in force now, oldest first. */
    public List<AdminEntry> list(Kind kind) {
        Instant now = clock.instant();
        return current.stream().filter(kind::holds).filter(e -> e.expires().isAfter(now)).toList();
    }

    /** KumoMTA's list entries of {@code kind} ({@link AdminRequests#view}). */
    public List<Map<String, Object>> views(Kind kind) {
        Instant now = clock.instant();
        return list(kind).stream().map(e -> switch (e) {
            case AdminEntry.Bounce b -> AdminRequests.view(b, now);
            case AdminEntry.Suspension s -> AdminRequests.view(s, now);
            case AdminEntry.ReadySuspension r -> AdminRequests.view(r, now);
        }).toList();
    }

    // ---- AdminRules: what the queues ask ----

    @Override
    public Optional<AdminRules.Bounce> bounce(QueueName queue) {
        Instant now = clock.instant();
        for (AdminEntry e : current) {
            if (e instanceof AdminEntry.Bounce b && b.expires().isAfter(now) && b.criteria().matches(queue)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<Hold> suspended(QueueName queue) {
        Instant now = clock.instant();
        return current.stream()
                .filter(e -> e instanceof AdminEntry.Suspension s && s.expires().isAfter(now)
                        && s.criteria().matches(queue))
                .max(Comparator.comparing(AdminEntry::expires))
                .map(e -> new Hold(e.reason(), e.expires()));
    }

    @Override
    public Optional<Hold> readySuspended(String readyQueueName) {
        Instant now = clock.instant();
        for (AdminEntry e : current) {
            if (e instanceof AdminEntry.ReadySuspension r && r.expires().isAfter(now) && r.matches(readyQueueName)) {
                return Optional.of(new Hold(r.reason(), r.expires()));
            }
        }
        return Optional.empty();
    }

    // ---- keeping it true ----

    /** Under the lock: publish, save, arm the expiry timer, and apply the change to what is queued. */
    private void changed() {
        Instant now = clock.instant();
        entries.values().removeIf(e -> {
            if (e.expires().isAfter(now)) {
                return false;
            }
            LOG.info("admin: {} {} expired at {}: {}", describe(e), e.id(), e.expires(), e.reason());
            return true;
        });
        current = List.copyOf(entries.values());
        if (store == null) {
            return; // not attached (sluice check, or before the spool is open): kept only
        }
        save();
        if (expiry != null) {
            expiry.cancel(false);
        }
        entries.values().stream().map(AdminEntry::expires).min(Instant::compareTo).ifPresent(next -> expiry =
                worker.schedule(this::expired, Math.max(0, Duration.between(now, next).toMillis()) + 1,
                        TimeUnit.MILLISECONDS));
        worker.execute(this::sweep);
    }

    private void expired() {
        synchronized (this) {
            changed();
        }
    }

    private void save() {
        try {
            store.save(List.copyOf(entries.values()));
        } catch (IOException e) {
            LOG.error("admin: could not save the entries to {}: {} (they are in force until the MTA stops)",
                    store.file(), e.getMessage());
        }
    }

    private void sweep() {
        try {
            int n = queues.sweep();
            if (n > 0) {
                LOG.info("admin: bounced {} queued message(s)", n);
            }
        } catch (RuntimeException e) {
            LOG.error("admin: applying the entries to the queues failed", e);
        }
    }

    static boolean sameTarget(AdminEntry a, AdminEntry b) {
        return switch (a) {
            case AdminEntry.Bounce x -> b instanceof AdminEntry.Bounce y && x.criteria().equals(y.criteria());
            case AdminEntry.Suspension x -> b instanceof AdminEntry.Suspension y && x.criteria().equals(y.criteria());
            case AdminEntry.ReadySuspension x -> b instanceof AdminEntry.ReadySuspension y && x.name().equals(y.name());
        };
    }

    /** The same order again: its target, reason and expiry (and for a bounce, whether it is logged). */
    private static boolean sameOrder(AdminEntry a, AdminEntry b) {
        return sameTarget(a, b) && a.reason().equals(b.reason()) && a.expires().equals(b.expires())
                && (!(a instanceof AdminEntry.Bounce x) || x.suppressLogging() == ((AdminEntry.Bounce) b).suppressLogging());
    }

    private static String describe(AdminEntry e) {
        return switch (e) {
            case AdminEntry.Bounce b -> "bounce " + criteria(b.criteria());
            case AdminEntry.Suspension s -> "suspension of " + criteria(s.criteria());
            case AdminEntry.ReadySuspension r -> "suspension of ready queue " + r.name();
        };
    }

    private static String criteria(AdminCriteria c) {
        if (c.everything()) {
            return "(every queue)";
        }
        if (!c.queueNames().isEmpty()) {
            return "queues " + c.queueNames();
        }
        List<String> parts = new ArrayList<>();
        if (c.domain() != null) parts.add("domain=" + c.domain());
        if (c.campaign() != null) parts.add("campaign=" + c.campaign());
        if (c.tenant() != null) parts.add("tenant=" + c.tenant());
        if (c.routingDomain() != null) parts.add("routing_domain=" + c.routingDomain());
        return String.join(" ", parts);
    }

    /** Saves the counts and stops the timer; the entries stay on disk for the next start. */
    @Override
    public synchronized void close() {
        if (store != null) {
            save();
        }
        if (worker != null) {
            worker.shutdownNow();
        }
    }
}
