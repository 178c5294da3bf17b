package dev.sluice.mta.message;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A message's scheduling constraints, set by the policy's {@code msg:set_scheduling} or
 * {@code msg:import_scheduling_header}: an earliest first attempt, an expiry that replaces the queue's
 * {@code max_age}, and a delivery window (days of the week and a time-of-day range in a time zone). Stored in the
 * message's meta under {@link #META_KEY} (so it is spooled with the message and survives a restart) in the same
 * shape as the Lua table: {@code first_attempt}, {@code expires} (RFC 3339), {@code dow}, {@code tz},
 * {@code start}, {@code end}.
 */
public record Scheduling(Optional<Restriction> restriction, Optional<OffsetDateTime> firstAttempt,
                         Optional<OffsetDateTime> expires) {
    public static final String META_KEY = "sluice_scheduling";
    private static final Set<String> KEYS = Set.of("first_attempt", "expires", "dow", "tz", "start", "end");

    /** Delivery only on {@code days}, from {@code start} (inclusive) to {@code end} (exclusive), in {@code zone}. */
    public record Restriction(Set<DayOfWeek> days, ZoneId zone, LocalTime start, LocalTime end) {
        public Restriction {
            days = Set.copyOf(days);
        }
    }

    /** The constraints in a table such as the policy passes, with KumoMTA's keys; errors name the key. */
    public static Scheduling parse(Map<?, ?> table) {
        for (Object key : table.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                throw new IllegalArgumentException("unknown scheduling key '" + key + "' (expected one of "
                        + "first_attempt, expires, dow, tz, start, end)");
            }
        }
        List<String> window = List.of("dow", "tz", "start", "end");
        List<String> present = window.stream().filter(k -> table.get(k) != null).toList();
        Optional<Restriction> restriction = Optional.empty();
        if (!present.isEmpty()) {
            List<String> missing = window.stream().filter(k -> table.get(k) == null).toList();
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("a delivery window needs all of dow, tz, start and end; missing "
                        + String.join(", ", missing));
            }
            restriction = Optional.of(new Restriction(days(text(table, "dow")), zone(text(table, "tz")),
                    time(table, "start"), time(table, "end")));
        }
        return new Scheduling(restriction, instant(table, "first_attempt"), instant(table, "expires"));
    }

    /** The constraints stored in {@code message}'s meta, if any. */
    public static Optional<Scheduling> of(Message message) {
        if (message.knownWithoutScheduling()) return Optional.empty();
        return message.meta(META_KEY) instanceof Map<?, ?> m ? Optional.of(parse(m)) : Optional.empty();
    }

    /** Stores the constraints in {@code message}'s meta; null clears them. */
    public static void store(Message message, Scheduling scheduling) {
        message.setMeta(META_KEY, scheduling == null ? null : scheduling.toData());
    }

    /** The table form: what the Lua methods return and what the meta holds. */
    public Map<String, Object> toData() {
        Map<String, Object> out = new LinkedHashMap<>();
        restriction.ifPresent(r -> {
            out.put("dow", r.days().stream().sorted()
                    .map(d -> d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH)).collect(Collectors.joining(",")));
            out.put("tz", r.zone().getId());
            out.put("start", r.start().toString());
            out.put("end", r.end().toString());
        });
        // RFC 3339 as KumoMTA writes it: ISO_OFFSET_DATE_TIME always has the seconds, toString() drops ":00"
        // (a strict RFC 3339 reader, like the ScheduledDeliveryTest's, refused a time on a whole minute)
        firstAttempt.ifPresent(t -> out.put("first_attempt", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t)));
        expires.ifPresent(t -> out.put("expires", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t)));
        return out;
    }

    /**
     * The earliest instant at or after {@code due} that the constraints allow: not before the first attempt, and
     * moved to the start of the next permitted window when outside one.
     */
    public Instant adjust(Instant due) {
        Instant dt = due;
        if (firstAttempt.isPresent() && dt.isBefore(firstAttempt.get().toInstant())) {
            dt = firstAttempt.get().toInstant();
        }
        if (restriction.isEmpty()) {
            return dt;
        }
        Restriction r = restriction.get();
        ZonedDateTime z = dt.atZone(r.zone());
        for (int i = 0; i < 8; i++) { // a permitted day comes within a week
            ZonedDateTime start = z.toLocalDate().atTime(r.start()).atZone(r.zone());
            ZonedDateTime end = z.toLocalDate().atTime(r.end()).atZone(r.zone());
            if (r.days().contains(z.getDayOfWeek())) {
                if (z.isBefore(start)) {
                    return start.toInstant();
                }
                if (z.isBefore(end)) {
                    return z.toInstant();
                }
            }
            z = start.plusDays(1);
        }
        return z.toInstant();
    }

    private static String text(Map<?, ?> table, String key) {
        Object v = table.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(key + " must be a string, got " + (v == null ? "nil" : v));
        }
        return s;
    }

    private static Optional<OffsetDateTime> instant(Map<?, ?> table, String key) {
        if (table.get(key) == null) {
            return Optional.empty();
        }
        String s = text(table, key);
        try {
            String iso = s.length() > 10 && (s.charAt(10) == ' ' || s.charAt(10) == 't') ? s.substring(0, 10) + "T" + s.substring(11) : s;
            return Optional.of(OffsetDateTime.parse(iso.endsWith("z") ? iso.substring(0, iso.length() - 1) + "Z" : iso));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not an RFC 3339 date and time, such as"
                    + " 2026-03-01T17:00:00-08:00");
        }
    }

    private static LocalTime time(Map<?, ?> table, String key) {
        String s = text(table, key);
        try {
            return LocalTime.parse(s);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not a time of day HH:MM:SS");
        }
    }

    private static ZoneId zone(String tz) {
        try {
            if (!tz.contains("/") && !tz.equals("UTC")) {
                throw new DateTimeException("short name");
            }
            return ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("tz: '" + tz + "' is not an IANA time zone name such as America/Phoenix");
        }
    }

    private static Set<DayOfWeek> days(String dow) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String part : dow.split(",")) {
            String name = part.strip();
            DayOfWeek day = null;
            for (DayOfWeek d : DayOfWeek.values()) {
                String full = d.getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                if (name.equalsIgnoreCase(full) || name.equalsIgnoreCase(full.substring(0, 3))) {
                    day = d;
                }
            }
            if (day == null) {
                throw new IllegalArgumentException("dow: '" + name + "' is not a day of the week (Mon or Monday, ...)");
            }
            days.add(day);
        }
        return days;
    }
}
