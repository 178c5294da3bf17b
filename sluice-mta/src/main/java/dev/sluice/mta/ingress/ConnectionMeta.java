package dev.sluice.mta.ingress;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KumoMTA's connection metadata: the key/value pairs of one ESMTP session that every SMTP event sees as
 * {@code conn_meta} ({@code get_meta}/{@code set_meta}), preset with {@code reception_protocol},
 * {@code received_from}, {@code received_via}, {@code hostname} and the listener's {@code meta}, and later
 * {@code ehlo_domain}, {@code tls_protocol}, {@code authn_id}/{@code authz_id}. Each message of the session starts
 * with a copy of them as its meta. Written by the session's event loop and by policy threads (one at a time, since
 * the session waits for each event), so the methods are synchronized.
 */
public final class ConnectionMeta {
    private final Map<String, Object> values = new LinkedHashMap<>();
    /** The version of the policy the session's events run now (its transaction's, or the connection's). */
    private PolicyHold hold = PolicyHold.NONE;
    private boolean ended; // the connection closed: no version is held any more

    public ConnectionMeta(Map<String, Object> initial) {
        initial.forEach(this::set);
    }

    /** The value of {@code key}, or null. */
    public synchronized Object get(String key) {
        return values.get(key);
    }

    /** Sets {@code key}; a null value removes it. */
    public synchronized void set(String key, Object value) {
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
    }

    /** The policy version this session's events run ({@link PolicyHold#NONE}: the current one). */
    public synchronized PolicyHold hold() {
        return hold;
    }

    /**
     * The session now holds {@code next}; the version it held before is let go. After {@link #end()}, {@code next}
     * is let go at once.
     */
    public void hold(PolicyHold next) {
        PolicyHold previous;
        synchronized (this) {
            if (ended) {
                previous = next;
            } else {
                previous = hold;
                hold = next;
            }
        }
        previous.close();
    }

    /** The connection closed: the version held is let go, and any taken later (a late reply) at once. */
    public void end() {
        PolicyHold previous;
        synchronized (this) {
            ended = true;
            previous = hold;
            hold = PolicyHold.NONE;
        }
        previous.close();
    }

    /** A copy of every key and value, in the order they were first set. */
    public synchronized Map<String, Object> snapshot() {
        return new LinkedHashMap<>(values);
    }
}
