package dev.sluice.proxy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The listener's {@code source_limits} and those of its identities: every entry whose range holds the BIND
 * source applies, and one over its limit refuses the session. Sessions of one listener run on several event
 * loops, so the counts are kept under this object's lock.
 */
final class SourceLimiter {
    private final ProxyListenerConfig config;
    private final LongSupplier nanos;
    /** By scope ("" for the listener, else the identity) and the entry's key. */
    private final Map<String, Usage> usage = new HashMap<>();

    /** @param nanos a monotonic clock, in nanoseconds ({@code System::nanoTime}) */
    SourceLimiter(ProxyListenerConfig config, LongSupplier nanos) {
        this.config = config;
        this.nanos = nanos;
    }

    private static final class Usage {
        int open;
        double tokens = Double.NaN; // full at first use
        long refilledAt;
    }

    private record Applicable(String name, SourceLimit limit, Usage usage) {}

    synchronized SourceAdmission admit(List<String> identities, InetAddress source) {
        var applicable = new ArrayList<Applicable>();
        collect(applicable, "source_limits", "", config.sourceLimits(), source);
        for (String id : identities) {
            IdentityRules r = config.identityRules().get(id);
            if (r != null) {
                collect(applicable, "identity_rules[" + id + "].source_limits", id, r.sourceLimits(), source);
            }
        }
        long now = nanos.getAsLong();
        for (Applicable a : applicable) {
            SourceLimit l = a.limit();
            if (l.maxSessions() != null && a.usage().open >= l.maxSessions()) {
                return new SourceAdmission.Refused("max_sessions",
                        a.name() + "['" + l.cidr() + "'].max_sessions = " + l.maxSessions());
            }
            if (l.maxSessionRate() != null && refill(a.usage(), l.maxSessionRate(), now) < 1) {
                return new SourceAdmission.Refused("max_session_rate",
                        a.name() + "['" + l.cidr() + "'].max_session_rate = '" + l.maxSessionRate() + "'");
            }
        }
        for (Applicable a : applicable) {
            a.usage().open++;
            if (a.limit().maxSessionRate() != null) {
                a.usage().tokens -= 1;
            }
        }
        return new SourceAdmission.Admitted(applicable.isEmpty() ? () -> {} : () -> release(applicable));
    }

    private synchronized void release(List<Applicable> applicable) {
        for (Applicable a : applicable) {
            a.usage().open--;
        }
    }

    private void collect(List<Applicable> into, String name, String scope, List<SourceLimit> limits, InetAddress source) {
        for (SourceLimit l : limits) {
            if (l.sources().contains(source)) {
                into.add(new Applicable(name, l, usage.computeIfAbsent(scope + "\0" + l.cidr(), k -> new Usage())));
            }
        }
    }

    /** A token bucket holding up to {@code count} sessions, refilled at {@code count} per period. */
    private static double refill(Usage u, SessionRate rate, long now) {
        if (Double.isNaN(u.tokens)) {
            u.tokens = rate.count();
        } else {
            double elapsed = now - u.refilledAt;
            u.tokens = Math.min(rate.count(), u.tokens + elapsed * rate.count() / rate.per().toNanos());
        }
        u.refilledAt = now;
        return u.tokens;
    }
}
