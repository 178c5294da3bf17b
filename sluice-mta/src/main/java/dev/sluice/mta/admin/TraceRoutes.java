package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.net.CidrSet;
import dev.sluice.net.http.HttpServer;
import dev.sluice.net.http.WebSocketEndpoint;
import dev.sluice.net.http.WebSocketSession;
import dev.sluice.net.trace.SmtpTrace;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * KumoMTA's websocket trace routes (trusted hosts or accepted HTTP Basic, like the other admin routes):
 * {@code GET /api/admin/trace-smtp-server/v1} (the sessions of the ESMTP listeners) and
 * {@code GET /api/admin/trace-smtp-client/v1} (outgoing SMTP connections). The client sends one JSON request
 * (KumoMTA's TraceSmtpV1Request: {@code source_addr} CIDRs, {@code terse}; TraceSmtpClientV1Request adds
 * {@code mx_addr} CIDRs and lists {@code mx_host}, {@code domain}, {@code routing_domain}, {@code campaign},
 * {@code tenant}, {@code egress_pool}, {@code egress_source}, {@code mail_from}, {@code rcpt_to},
 * {@code ready_queue}); the server then streams one JSON text message per event, KumoMTA's
 * {@code {"conn_meta", "payload", "when"}}. As in KumoMTA, a filter on a property the session does not have
 * (yet) lets its events through. A client session carries KumoMTA's conn_meta: from its start
 * {@code egress_pool}, {@code egress_source}, {@code ready_queue_name}, {@code source_address},
 * {@code mx_address}, {@code mx_host}; from each message on, its {@code sender}, {@code recipient},
 * {@code domain}, {@code queue_name}, {@code routing_domain}, {@code tenant}, {@code campaign}. Events that arrive
 * before the request are kept (up to {@link #EARLY}) and filtered once it comes; a client that reads too slowly
 * loses events beyond {@link #BACKLOG} in flight and is told so once.
 */
public final class TraceRoutes {
    public static final String SERVER = "/api/admin/trace-smtp-server/v1";
    public static final String CLIENT = "/api/admin/trace-smtp-client/v1";
    static final int EARLY = 1000;
    static final int BACKLOG = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CLIENT_LISTS = List.of("mx_host", "domain", "routing_domain", "campaign",
            "tenant", "egress_pool", "egress_source", "mail_from", "rcpt_to", "ready_queue");

    private TraceRoutes() {}

    public static void install(HttpServer server, SmtpTrace serverTrace, SmtpTrace clientTrace) {
        server.webSocket(SERVER, HttpServer.Access.TRUSTED, new Endpoint(serverTrace, false));
        server.webSocket(CLIENT, HttpServer.Access.TRUSTED, new Endpoint(clientTrace, true));
    }

    /** One filter, built from the request; a property the session lacks does not exclude it. */
    record Filter(Predicate<Map<String, Object>> accepts, boolean terse) {
        static Filter parse(String text, boolean client) {
            JsonNode r;
            try {
                r = JSON.readTree(text);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("the trace request is not JSON");
            }
            if (!r.isObject()) {
                throw new IllegalArgumentException("the trace request must be a JSON object");
            }
            List<Predicate<Map<String, Object>>> all = new ArrayList<>();
            cidrs(r, "source_addr").ifPresent(set -> all.add(address(client ? "source_address" : "received_from",
                    set)));
            if (client) {
                cidrs(r, "mx_addr").ifPresent(set -> all.add(address("mx_address", set)));
                for (String key : CLIENT_LISTS) {
                    JsonNode v = r.path(key);
                    if (v.isArray() && !v.isEmpty()) {
                        Set<String> allowed = new java.util.HashSet<>();
                        v.forEach(x -> allowed.add(x.asText()));
                        String metaKey = switch (key) {
                            case "mail_from" -> "sender";
                            case "rcpt_to" -> "recipient";
                            case "ready_queue" -> "ready_queue_name";
                            default -> key;
                        };
                        all.add(meta -> !meta.containsKey(metaKey) || allowed.contains(String.valueOf(meta.get(metaKey))));
                    }
                }
            }
            return new Filter(meta -> all.stream().allMatch(p -> p.test(meta)), r.path("terse").asBoolean(false));
        }

        private static java.util.Optional<CidrSet> cidrs(JsonNode r, String key) {
            JsonNode v = r.path(key);
            if (!v.isArray() || v.isEmpty()) {
                return java.util.Optional.empty();
            }
            List<String> list = new ArrayList<>();
            v.forEach(x -> list.add(x.asText()));
            try {
                return java.util.Optional.of(CidrSet.parse(list));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage());
            }
        }

        private static Predicate<Map<String, Object>> address(String key, CidrSet set) {
            return meta -> {
                Object v = meta.get(key);
                if (v == null) {
                    return true;
                }
                String text = v.toString();
                String host = text.startsWith("[") ? text.substring(1, text.indexOf(']'))
                        : text.lastIndexOf(':') > 0 && text.indexOf(':') == text.lastIndexOf(':')
                                ? text.substring(0, text.lastIndexOf(':')) : text;
                return dev.sluice.net.IpLiterals.parse(host).map(set::contains).orElse(true);
            };
        }
    }

    /** One websocket per subscriber: subscribes at open, filters once the request came. */
    private static final class Endpoint implements WebSocketEndpoint {
        private final SmtpTrace trace;
        private final boolean client;
        private final Map<WebSocketSession, State> states = new ConcurrentHashMap<>();

        Endpoint(SmtpTrace trace, boolean client) {
            this.trace = trace;
            this.client = client;
        }

        private static final class State {
            final ArrayDeque<SmtpTrace.Event> early = new ArrayDeque<>();
            final AtomicInteger inFlight = new AtomicInteger();
            volatile Filter filter;
            volatile boolean lagged;
            AutoCloseable subscription;
        }

        @Override
        public void onOpen(WebSocketSession session) {
            State st = new State();
            states.put(session, st);
            st.subscription = trace.subscribe(e -> deliver(session, st, e));
        }

        @Override
        public void onText(WebSocketSession session, String text) {
            State st = states.get(session);
            if (st == null || st.filter != null) {
                return; // one request per session, as KumoMTA
            }
            Filter f;
            try {
                f = Filter.parse(text, client);
            } catch (IllegalArgumentException e) {
                send(session, st, diagnostic("ERROR", e.getMessage()));
                session.close();
                return;
            }
            List<SmtpTrace.Event> backlog;
            synchronized (st) {
                st.filter = f;
                backlog = new ArrayList<>(st.early);
                st.early.clear();
            }
            backlog.forEach(e -> deliver(session, st, e));
        }

        @Override
        public void onClose(WebSocketSession session) {
            State st = states.remove(session);
            if (st != null && st.subscription != null) {
                try {
                    st.subscription.close();
                } catch (Exception ignored) {
                    // removing a subscriber does not fail
                }
            }
        }

        private void deliver(WebSocketSession session, State st, SmtpTrace.Event e) {
            Filter f = st.filter;
            if (f == null) {
                synchronized (st) {
                    if (st.filter == null) {
                        if (st.early.size() < EARLY) {
                            st.early.add(e);
                        }
                        return;
                    }
                    f = st.filter;
                }
            }
            if (f.accepts().test(e.connMeta())) {
                send(session, st, json(e, f.terse()));
            }
        }

        private void send(WebSocketSession session, State st, String text) {
            if (st.inFlight.get() >= BACKLOG) {
                if (!st.lagged) {
                    st.lagged = true;
                    session.send(diagnostic("ERROR", "the tracer is behind: events are being dropped"));
                }
                return;
            }
            st.inFlight.incrementAndGet();
            session.send(text).addListener(x -> st.inFlight.decrementAndGet());
        }

        private String json(SmtpTrace.Event e, boolean terse) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("conn_meta", e.connMeta());
            out.put("payload", payload(e.payload(), terse));
            out.put("when", e.when().toString());
            try {
                return JSON.writeValueAsString(out);
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        }

        /** Serde's external tagging, as KumoMTA sends it: "Connected", {"Read": "..."}, {"Diagnostic": {...}}. */
        private Object payload(SmtpTrace.Payload p, boolean terse) {
            return switch (p) {
                case SmtpTrace.Payload.BeginSession b -> "BeginSession";
                case SmtpTrace.Payload.Connected c -> "Connected";
                case SmtpTrace.Payload.Closed c -> "Closed";
                case SmtpTrace.Payload.MessageObtained m -> "MessageObtained";
                case SmtpTrace.Payload.Read r -> terse && !client && multiLine(r.data())
                        ? Map.of("AbbreviatedRead", abbreviated(r.data())) : Map.of("Read", r.data());
                case SmtpTrace.Payload.Write w -> terse && client && multiLine(w.data())
                        ? Map.of("AbbreviatedWrite", abbreviated(w.data())) : Map.of("Write", w.data());
                case SmtpTrace.Payload.Diagnostic d -> Map.of("Diagnostic",
                        Map.of("level", d.level(), "message", d.message()));
            };
        }

        private static boolean multiLine(String data) {
            String s = data.stripTrailing();
            return s.indexOf('\n') >= 0;
        }

        private static Map<String, Object> abbreviated(String data) {
            String first = data.lines().findFirst().orElse("");
            return Map.of("snippet", first, "len", data.length());
        }

        private String diagnostic(String level, String message) {
            return json(new SmtpTrace.Event(Map.of(), new SmtpTrace.Payload.Diagnostic(level, message),
                    java.time.Instant.now()), false);
        }
    }
}
