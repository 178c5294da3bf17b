package dev.sluice.net.trace;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Live SMTP conversations for the operator's trace (KumoMTA's trace-smtp-server and trace-smtp-client): each
 * traced connection is a {@link Session} whose events (connected, bytes read and written, closed, the message
 * it carries) go to every subscriber. While nobody subscribes, {@link #open} returns null and a connection
 * carries no tap at all: tracing costs nothing when unused. Subscribers are called on the connection's event
 * loop and must not block.
 */
public final class SmtpTrace {
    private final List<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    /** One event of one session; {@code connMeta} is a snapshot of the session's properties at that moment. */
    public record Event(Map<String, Object> connMeta, Payload payload, Instant when) {}

    /** What happened, as KumoMTA's TraceSmtpV1Payload / TraceSmtpClientV1Payload name it. */
    public sealed interface Payload {
        /** A delivery session begins (client side: before its first connection's banner). */
        record BeginSession() implements Payload {}

        record Connected() implements Payload {}

        record Closed() implements Payload {}

        /** Bytes the traced side received, as text (ISO-8859-1 for anything not UTF-8). */
        record Read(String data) implements Payload {}

        /** Bytes the traced side sent. */
        record Write(String data) implements Payload {}

        record Diagnostic(String level, String message) implements Payload {}

        /** The client took a message to send on this connection (its envelope is in the session's meta). */
        record MessageObtained() implements Payload {}
    }

    /** Receives every event from now on until the returned handle is closed. */
    public AutoCloseable subscribe(Consumer<Event> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    public boolean active() {
        return !subscribers.isEmpty();
    }

    /** A new traced session with these properties (plus a unique {@code id}), or null when nobody subscribes. */
    public Session open(Map<String, Object> meta) {
        if (subscribers.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", Long.toString(ids.incrementAndGet(), 36));
        m.putAll(meta);
        return new Session(m);
    }

    /** One traced connection (or delivery session). Thread-safe. */
    public final class Session {
        private final Map<String, Object> meta;

        private Session(Map<String, Object> meta) {
            this.meta = meta;
        }

        /** Sets (or, with null, removes) a property shown in every later event's conn_meta. */
        public synchronized void meta(String key, Object value) {
            if (value == null) {
                meta.remove(key);
            } else {
                meta.put(key, value);
            }
        }

        public void event(Payload payload) {
            if (subscribers.isEmpty()) {
                return;
            }
            Map<String, Object> snapshot;
            synchronized (this) {
                snapshot = Map.copyOf(meta);
            }
            Event e = new Event(snapshot, payload, Instant.now());
            for (Consumer<Event> s : subscribers) {
                try {
                    s.accept(e);
                } catch (RuntimeException ignored) {
                    // one broken subscriber must not break the connection it watches
                }
            }
        }
    }
}
