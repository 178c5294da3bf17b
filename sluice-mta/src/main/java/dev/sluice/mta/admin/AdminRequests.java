package dev.sluice.mta.admin;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * KumoMTA's admin request bodies (a JSON object from HTTP, or the table a policy passes to
 * {@code kumo.api.admin.*}) made into entries, and the entries shown as KumoMTA's list entries. Unknown keys are
 * refused by name; {@code reason} is required; {@code expires} (RFC 3339) wins over {@code duration} (a
 * humantime string or seconds), which defaults to 5 minutes, as in KumoMTA.
 */
public final class AdminRequests {
    /** KumoMTA's default lifetime of an entry given neither duration nor expires. */
    public static final Duration DEFAULT_DURATION = Duration.ofMinutes(5);

    static final ConfigSchema BOUNCE = ConfigSchema.of("bounce", java.util.Set.of("campaign", "tenant", "domain",
            "routing_domain", "queue_names", "reason", "duration", "expires", "suppress_logging"), java.util.Set.of());
    static final ConfigSchema SUSPEND = ConfigSchema.of("suspend", java.util.Set.of("campaign", "tenant", "domain",
            "queue_names", "reason", "duration", "expires"), java.util.Set.of());
    static final ConfigSchema SUSPEND_READY_Q = ConfigSchema.of("suspend_ready_q",
            java.util.Set.of("name", "reason", "duration", "expires"), java.util.Set.of());

    private AdminRequests() {}

    /** @throws ConfigException naming the key and what is wrong with it */
    public static AdminEntry.Bounce bounce(Object body, Instant now) {
        ConfigTable t = ConfigTable.of(BOUNCE, normalize(body));
        return new AdminEntry.Bounce(UUID.randomUUID(), criteria(t, t.string("routing_domain", null)),
                reason(t), t.bool("suppress_logging", false), expires(t, now));
    }

    public static AdminEntry.Suspension suspend(Object body, Instant now) {
        ConfigTable t = ConfigTable.of(SUSPEND, normalize(body));
        return new AdminEntry.Suspension(UUID.randomUUID(), criteria(t, null), reason(t), expires(t, now));
    }

    public static AdminEntry.ReadySuspension suspendReadyQueue(Object body, Instant now) {
        ConfigTable t = ConfigTable.of(SUSPEND_READY_Q, normalize(body));
        String name = t.string("name", null);
        if (name == null || name.isBlank()) {
            throw new ConfigException("suspend_ready_q: 'name' is required (the ready queue, source->site, or a site)");
        }
        return new AdminEntry.ReadySuspension(UUID.randomUUID(), name, reason(t), expires(t, now));
    }

    /** The id of a DELETE body ({@code {"id": "…"}}) or of a Lua {@code delete(id)} argument. */
    public static UUID id(Object value) {
        Object v = value instanceof Map<?, ?> m ? m.get("id") : value;
        if (!(v instanceof String s)) {
            throw new ConfigException("id: expected the entry's id (a UUID string)");
        }
        try {
            return UUID.fromString(s.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("id: '" + s + "' is not a UUID");
        }
    }

    private static AdminCriteria criteria(ConfigTable t, String routingDomain) {
        return new AdminCriteria(t.string("campaign", null), t.string("tenant", null), t.string("domain", null),
                routingDomain, t.stringList("queue_names", List.of()));
    }

    private static String reason(ConfigTable t) {
        String reason = t.string("reason", null);
        if (reason == null) {
            throw new ConfigException(t.name() + ": 'reason' is required");
        }
        return reason;
    }

    private static Instant expires(ConfigTable t, Instant now) {
        String expires = t.string("expires", null);
        if (expires != null) {
            try {
                return OffsetDateTime.parse(expires.strip()).toInstant();
            } catch (DateTimeParseException e) {
                throw new ConfigException(t.name() + ": key 'expires': '" + expires
                        + "' is not an RFC 3339 date-time such as 2026-12-31T23:59:00Z");
            }
        }
        Duration d = t.duration("duration", DEFAULT_DURATION);
        if (d.isNegative()) {
            throw new ConfigException(t.name() + ": key 'duration' is negative");
        }
        return now.plus(d);
    }

    /** JSON numbers come as Integer/BigInteger; the config reader wants Long or Double; JSON null = absent. */
    private static Object normalize(Object body) {
        if (!(body instanceof Map<?, ?> m)) {
            return body;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v != null) {
                out.put(String.valueOf(k), v instanceof Integer i ? Long.valueOf(i) : v);
            }
        });
        return out;
    }

    // ---- views: KumoMTA's list entries ----

    /** KumoMTA's BounceV1ListEntry; {@code duration} is the time left. */
    public static Map<String, Object> view(AdminEntry.Bounce b, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        criteria(m, b.id(), b.criteria());
        m.put("routing_domain", b.criteria().routingDomain());
        m.put("queue_names", b.criteria().queueNames());
        m.put("reason", b.reason());
        m.put("duration", formatDuration(Duration.between(now, b.expires())));
        m.put("expires", instant(b.expires()));
        m.put("suppress_logging", b.suppressLogging());
        m.put("bounced", b.bounced());
        m.put("total_bounced", b.totalBounced());
        return m;
    }

    /** KumoMTA's SuspendV1ListEntry (plus queue_names and expires). */
    public static Map<String, Object> view(AdminEntry.Suspension s, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        criteria(m, s.id(), s.criteria());
        m.put("queue_names", s.criteria().queueNames());
        m.put("reason", s.reason());
        m.put("duration", formatDuration(Duration.between(now, s.expires())));
        m.put("expires", instant(s.expires()));
        return m;
    }

    private static void criteria(Map<String, Object> m, UUID id, AdminCriteria c) {
        m.put("id", id.toString());
        m.put("campaign", c.campaign());
        m.put("tenant", c.tenant());
        m.put("domain", c.domain());
    }

    /** KumoMTA's SuspendReadyQueueV1ListEntry. */
    public static Map<String, Object> view(AdminEntry.ReadySuspension r, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id().toString());
        m.put("name", r.name());
        m.put("reason", r.reason());
        m.put("duration", formatDuration(Duration.between(now, r.expires())));
        m.put("expires", instant(r.expires()));
        return m;
    }

    /** A view without its null fields (a Lua table has no nil values). */
    static Map<String, Object> withoutNulls(Map<String, Object> view) {
        Map<String, Object> out = new LinkedHashMap<>();
        view.forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    static String instant(Instant i) {
        return i.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    /** humantime's spelling, to the second: {@code 1h 4m 59s}, {@code 0s}. */
    public static String formatDuration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        List<String> parts = new ArrayList<>();
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            if (s >= sizes[i]) {
                parts.add(s / sizes[i] + units[i]);
                s %= sizes[i];
            }
        }
        return parts.isEmpty() ? "0s" : String.join(" ", parts);
    }
}
