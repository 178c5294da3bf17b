package dev.sluice.tsa;

import dev.sluice.egress.shaping.AutomationRule;
import dev.sluice.egress.shaping.AutomationTrigger;
import dev.sluice.egress.shaping.Shaping;
import dev.sluice.egress.shaping.ShapingAction;
import dev.sluice.policy.egress.SchedQueueName;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's memory: evaluates published log records against the automation rules of the current shaping data and
 * keeps the resulting items until they expire. Per recipient of a record, each matching rule whose
 * {@code timestamp + duration} is still ahead either fires at once ({@code Immediate}) or counts the record in the
 * sliding window of its {@code Threshold} for (rule, site) and fires once the count reaches N; firing creates each
 * action's item, or extends the item already there. Every change goes to the {@link TsaStore}. Thread-safe.
 */
public final class TsaState {
    private static final Logger log = LoggerFactory.getLogger(TsaState.class);

    private final Supplier<Shaping> shaping;
    private final TsaStore store;
    private final Clock clock;
    /** Live items by key. */
    private final Map<String, TsaItem> items = new HashMap<>();
    /** Threshold windows: rule hash + site → the period and the matching record times (epoch seconds, ascending). */
    private final Map<String, TsaStore.Window> windows = new HashMap<>();

    private TsaState(Supplier<Shaping> shaping, TsaStore store, Clock clock) {
        this.shaping = Objects.requireNonNull(shaping, "shaping");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A state holding what {@code store} kept that has not expired yet (expired entries are deleted from it). */
    public static TsaState open(Supplier<Shaping> shaping, TsaStore store, Clock clock) {
        TsaState state = new TsaState(shaping, store, clock);
        Instant now = clock.instant();
        int dropped = 0;
        for (TsaItem item : store.load()) {
            if (item.expires().isAfter(now)) {
                state.items.put(item.key(), item);
            } else {
                store.delete(item.key());
                dropped++;
            }
        }
        state.windows.putAll(store.loadWindows());
        state.pruneWindows(now);
        if (!state.items.isEmpty() || dropped > 0) {
            log.info("tsa state: {} live item(s) loaded, {} expired dropped", state.items.size(), dropped);
        }
        return state;
    }

    /**
     * Evaluates one KumoMTA JSON log record; returns the items it created or extended (to push to subscribers).
     *
     * @throws IllegalArgumentException when the record has no usable {@code timestamp}
     */
    public synchronized List<TsaItem> publish(Map<?, ?> record) {
        Instant timestamp = timestamp(record.get("timestamp"));
        Instant now = clock.instant();
        Shaping current = shaping.get();
        String site = record.get("site") instanceof String s ? s : "";
        String source = record.get("egress_source") instanceof String s ? s : "unspecified";
        List<TsaItem> changed = new ArrayList<>();
        for (String recipient : recipients(record.get("recipient"))) {
            int at = recipient.lastIndexOf('@');
            if (at < 0) continue; // postmaster: no automation for the local mailbox
            String domain = recipient.substring(at + 1).replace(">", "").toLowerCase(java.util.Locale.ROOT);
            Map<Object, Object> one = new LinkedHashMap<>(record);
            one.put("recipient", recipient);
            for (AutomationRule rule : current.matchRules(one)) {
                Instant expires = timestamp.plus(rule.duration());
                if (!expires.isAfter(now)) continue; // a late record whose effect would already be over
                String ruleHash = ruleHash(rule);
                if (rule.trigger() instanceof AutomationTrigger.Threshold t
                        && count(ruleHash + "|" + site, t, timestamp, now) < t.spec().limit()) {
                    continue;
                }
                for (ShapingAction action : rule.actions()) {
                    TsaItem item = itemFor(rule, action, actionHash(rule, action), record, site, source, domain, expires);
                    if (item != null && keep(item)) changed.add(item);
                }
            }
        }
        return changed;
    }

    /** Counts a match in the window of (rule, site) and returns how many fall within the threshold's period. */
    private int count(String scope, AutomationTrigger.Threshold t, Instant timestamp, Instant now) {
        TsaStore.Window old = windows.get(scope);
        List<Long> times = new ArrayList<>(old == null ? List.of() : old.times());
        times.add(timestamp.getEpochSecond());
        long oldest = now.minus(t.spec().period()).getEpochSecond();
        List<Long> kept = times.stream().filter(ts -> ts >= oldest).sorted().toList();
        TsaStore.Window window = new TsaStore.Window(t.spec().period().toSeconds(), kept);
        windows.put(scope, window);
        store.putWindow(scope, window);
        return kept.size();
    }

    /** Drops the matches that fell out of their window, and windows left empty. */
    private void pruneWindows(Instant now) {
        for (var it = windows.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            long oldest = now.getEpochSecond() - e.getValue().periodSeconds();
            List<Long> kept = e.getValue().times().stream().filter(ts -> ts >= oldest).toList();
            if (kept.isEmpty()) {
                it.remove();
                store.deleteWindow(e.getKey());
            } else if (kept.size() != e.getValue().times().size()) {
                e.setValue(new TsaStore.Window(e.getValue().periodSeconds(), kept));
                store.putWindow(e.getKey(), e.getValue());
            }
        }
    }

    private static TsaItem itemFor(AutomationRule rule, ShapingAction action, String hash, Map<?, ?> record,
                                   String site, String source, String domain, Instant expires) {
        String regex = rule.regex().size() == 1 ? rule.regex().getFirst() : "(" + String.join(",", rule.regex()) + ")";
        String reason = "automation rule: " + regex + " (" + describe(rule, action) + ")";
        SchedQueueName queue = SchedQueueName.parse(record.get("queue") instanceof String q ? q : domain);
        String siteHash = site + "-" + hash;
        return switch (action) {
            case ShapingAction.Named n -> switch (n) {
                case Suspend -> new TsaItem.ReadyQSuspension(hash, site, reason, source, expires);
                case SuspendTenant, SuspendCampaign -> {
                    if (queue.tenant() == null) {
                        log.warn("{} for queue {} ignored: the queue has no tenant ({})", n, queue.name(), rule.origin());
                        yield null;
                    }
                    String campaign = n == ShapingAction.Named.SuspendCampaign ? queue.campaign() : null;
                    yield new TsaItem.SchedQSuspension(siteHash, queue.tenant(), queue.domain(), campaign,
                            reason + " tenant=" + queue.tenant() + " domain=" + queue.domain()
                                    + (campaign == null ? "" : " campaign=" + campaign), expires);
                }
                case Bounce, BounceTenant, BounceCampaign -> {
                    if (n != ShapingAction.Named.Bounce && queue.tenant() == null) {
                        log.warn("{} for queue {} ignored: the queue has no tenant ({})", n, queue.name(), rule.origin());
                        yield null;
                    }
                    String tenant = queue.tenant();
                    String campaign = n == ShapingAction.Named.BounceCampaign ? queue.campaign() : null;
                    yield new TsaItem.SchedQBounce(siteHash, queue.domain(), tenant, campaign,
                            reason + " domain=" + queue.domain() + (tenant == null ? "" : " tenant=" + tenant)
                                    + (campaign == null ? "" : " campaign=" + campaign), expires);
                }
            };
            case ShapingAction.SetConfig c -> new TsaItem.ConfigOverride(siteHash, domain,
                    !c.domainOnly() && rule.wasRollup(), source, c.name(), c.value(), reason, expires);
        };
    }

    /** Stores a new item, or extends the one under its key; false when the one there already lasts as long. */
    private boolean keep(TsaItem item) {
        TsaItem old = items.get(item.key());
        if (old != null && !old.expires().isBefore(item.expires())) return false;
        items.put(item.key(), item);
        store.put(item);
        return true;
    }

    /** Drops expired items and old threshold matches (from the store too); returns the dropped items. */
    public synchronized List<TsaItem> prune() {
        Instant now = clock.instant();
        List<TsaItem> dropped = new ArrayList<>();
        items.values().removeIf(item -> {
            if (item.expires().isAfter(now)) return false;
            dropped.add(item);
            return true;
        });
        dropped.forEach(item -> store.delete(item.key()));
        pruneWindows(now);
        return dropped;
    }

    /** The items still in force, soonest expiry first. */
    public synchronized List<TsaItem> live() {
        Instant now = clock.instant();
        return items.values().stream().filter(i -> i.expires().isAfter(now))
                .sorted(Comparator.comparing(TsaItem::expires).thenComparing(TsaItem::key)).toList();
    }

    /** The live items of one kind. */
    public <T extends TsaItem> List<T> live(Class<T> kind) {
        return live().stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /**
     * What fired, for the reason an MTA shows and logs: the trigger, the action and its duration, and where the rule
     * is written ({@code file: [block] #n}), e.g. {@code Immediate, Suspend for 2h, /etc/shaping.toml: [[...]] #1}.
     */
    static String describe(AutomationRule rule, ShapingAction action) {
        String what = switch (action) {
            case ShapingAction.Named n -> n.name();
            case ShapingAction.SetConfig c -> (c.domainOnly() ? "SetDomainConfig " : "SetConfig ") + c.name() + "="
                    + c.value();
        };
        return trigger(rule.trigger()) + ", " + what + " for " + rule.durationText() + ", " + rule.origin();
    }

    /** The identity of a rule: its patterns, trigger, duration and scope (not the file it came from). */
    static String ruleHash(AutomationRule rule) {
        return sha256(rule.regex() + "|" + trigger(rule.trigger()) + "|" + rule.duration() + "|"
                + rule.matchInternal() + "|" + rule.wasRollup());
    }

    /** A rule with several actions gets one item per action. */
    static String actionHash(AutomationRule rule, ShapingAction action) {
        String a = switch (action) {
            case ShapingAction.Named n -> n.name();
            case ShapingAction.SetConfig c -> (c.domainOnly() ? "SetDomainConfig:" : "SetConfig:") + c.name() + "="
                    + c.value();
        };
        return sha256(ruleHash(rule) + "|" + a);
    }

    private static String trigger(AutomationTrigger t) {
        return switch (t) {
            case AutomationTrigger.Immediate i -> "Immediate";
            case AutomationTrigger.Threshold th -> "Threshold " + th.text();
        };
    }

    private static List<String> recipients(Object value) {
        return switch (value) {
            case String s -> List.of(s);
            case List<?> l -> l.stream().filter(String.class::isInstance).map(String.class::cast).toList();
            case null, default -> List.of();
        };
    }

    /** KumoMTA writes epoch seconds; an RFC 3339 string is accepted too. */
    static Instant timestamp(Object value) {
        try {
            return switch (value) {
                case Number n -> Instant.ofEpochMilli(Math.round(n.doubleValue() * 1000));
                case String s when s.matches("\\d+") -> Instant.ofEpochSecond(Long.parseLong(s));
                case String s -> OffsetDateTime.parse(s).toInstant();
                case null, default -> throw new IllegalArgumentException(
                        "the record has no timestamp (epoch seconds or RFC 3339), got " + value);
            };
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the record's timestamp is not RFC 3339: " + value, e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
