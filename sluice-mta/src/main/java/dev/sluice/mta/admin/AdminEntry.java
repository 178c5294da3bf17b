package dev.sluice.mta.admin;

import dev.sluice.mta.queue.AdminRules;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/** One operator order, in force until {@code expires} or until cancelled by its id. */
public sealed interface AdminEntry {
    UUID id();

    String reason();

    Instant expires();

    /** {@code POST /api/admin/bounce/v1}: bounce what matches, queued now and arriving until it expires. */
    record Bounce(UUID id, AdminCriteria criteria, String reason, boolean suppressLogging, Instant expires,
                  ConcurrentMap<String, AtomicLong> counts) implements AdminEntry, AdminRules.Bounce {
        public Bounce(UUID id, AdminCriteria criteria, String reason, boolean suppressLogging, Instant expires) {
            this(id, criteria, reason, suppressLogging, expires, new ConcurrentHashMap<>());
        }

        @Override
        public void bounced(String queueName) {
            counts.computeIfAbsent(queueName, k -> new AtomicLong()).incrementAndGet();
        }

        /** Messages bounced so far per scheduled queue name, sorted (KumoMTA's {@code bounced}). */
        public Map<String, Long> bounced() {
            Map<String, Long> out = new TreeMap<>();
            counts.forEach((k, v) -> out.put(k, v.get()));
            return out;
        }

        public long totalBounced() {
            return counts.values().stream().mapToLong(AtomicLong::get).sum();
        }
    }

    /** {@code POST /api/admin/suspend/v1}: the matching scheduled queues hold their messages. */
    record Suspension(UUID id, AdminCriteria criteria, String reason, Instant expires) implements AdminEntry {}

    /**
     * {@code POST /api/admin/suspend-ready-q/v1}: the ready queue {@code name} ({@code source->site}, with or
     * without KumoMTA's {@code @smtp_client} suffix) opens no connection and sends nothing. A name without
     * {@code ->} is a site alone (what Sluice's log records, and so its TSA daemon, call the site): the ready
     * queues of that site from every source.
     */
    record ReadySuspension(UUID id, String name, String reason, Instant expires) implements AdminEntry {
        public static final String SMTP_SUFFIX = "@smtp_client";
        private static final String ARROW = "->";

        public boolean matches(String readyQueueName) {
            if (readyQueueName.equals(name) || readyQueueName.equals(name + SMTP_SUFFIX)) {
                return true;
            }
            int arrow = readyQueueName.indexOf(ARROW);
            if (name.contains(ARROW) || arrow < 0 || !readyQueueName.endsWith(SMTP_SUFFIX)) {
                return false;
            }
            return readyQueueName.substring(arrow + ARROW.length(), readyQueueName.length() - SMTP_SUFFIX.length())
                    .equals(name);
        }
    }
}
