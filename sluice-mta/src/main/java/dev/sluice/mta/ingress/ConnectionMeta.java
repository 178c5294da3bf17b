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

    /** A copy of every key and value, in the order they were first set. */
    public synchronized Map<String, Object> snapshot() {
        return new LinkedHashMap<>(values);
    }
}
