package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * kcli's verbs for looking into the MTA's queues over its HTTP admin API: {@code inspect-message},
 * {@code inspect-sched-q}, {@code inspect-ready-q}, {@code ready-q-states} and {@code provider-summary}; and
 * {@code set-log-filter}, which changes the MTA's diagnostic log levels, and {@code rebind}, which re-queues
 * matching messages with new meta. Tables or
 * plain lines by default, {@code --json} for scripts. Exit code: 0 done, 1 the MTA could not be reached or refused
 * (the message or queue unknown), 2 usage.
 */
final class InspectCommands {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MESSAGE = "/api/admin/inspect-message/v1";
    static final String SCHED_Q = "/api/admin/inspect-sched-q/v1";
    static final String READY_Q = "/api/admin/inspect-ready-q/v1";
    static final String READY_Q_STATES = "/api/admin/ready-q-states/v1";
    private static final String EXIT = "Exit code: 0 done, 1 the MTA could not be reached or refused, 2 usage.";

    private InspectCommands() {}

    /** The commands, for {@link Main}'s list. */
    static final Class<?>[] ALL = {InspectMessage.class, InspectSchedQ.class, InspectReadyQ.class,
        ReadyQStates.class, ProviderSummary.class, SetLogFilter.class, Rebind.class};

    /** A GET whose answer is printed as JSON with --json, else by {@link #print}. */
    abstract static class Query extends AdminCommands.Base {
        @Option(names = "--json", description = "Print the MTA's JSON instead of text for a human.")
        boolean json;

        abstract String pathAndQuery();

        abstract void print(JsonNode answer);

        @Override
        public Integer call() throws Exception {
            Answer a = call("GET", pathAndQuery(), null);
            if (a == null) {
                return 1;
            }
            if (json) {
                out().println(a.body().strip());
            } else {
                print(JSON.readTree(a.body()));
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "inspect-message", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Show a queued message: envelope, queue, attempts, next due time and meta.",
                "--want-body adds its data, read from the spool.", EXIT, ""})
    static final class InspectMessage extends Query {
        @Parameters(index = "0", paramLabel = "ID", description = "The message's spool id (as in the log records).")
        String id;

        @Option(names = "--want-body", description = "Include the message data.")
        boolean wantBody;

        @Override
        String pathAndQuery() {
            return MESSAGE + "?id=" + enc(id) + (wantBody ? "&want_body=true" : "");
        }

        @Override
        void print(JsonNode a) {
            JsonNode m = a.path("message");
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("id", a.path("id").asText()));
            rows.add(List.of("sender", m.path("sender").asText()));
            rows.add(List.of("recipient", m.path("recipient").isArray() ? m.path("recipient").toString()
                    : m.path("recipient").asText()));
            rows.add(List.of("queue", text(m, "queue")));
            rows.add(List.of("attempts", text(m, "num_attempts")));
            rows.add(List.of("due", m.path("due").isNull() ? "now (in a ready queue or a transaction)"
                    : text(m, "due")));
            m.path("meta").fields().forEachRemaining(e -> rows.add(List.of("meta." + e.getKey(),
                    e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString())));
            Table.print(out(), rows);
            if (m.has("data")) {
                out().println();
                out().print(m.path("data").asText());
            }
        }
    }

    @Command(name = "inspect-sched-q", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Show a scheduled queue: its count, its queue config and its soonest messages.",
            description = {"Show a scheduled queue: its message count, its queue config and a sample of its",
                "messages (soonest due first).", EXIT, ""})
    static final class InspectSchedQ extends Query {
        @Parameters(index = "0", paramLabel = "QUEUE_NAME", description = "The scheduled queue, e.g. example.com or "
                + "campaign:tenant@example.com.")
        String queue;

        @Option(names = "--want-body", description = "Include each sampled message's data.")
        boolean wantBody;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "5",
                description = "How many messages to sample (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--no-limit", description = "Sample every message of the queue.")
        boolean noLimit;

        @Override
        String pathAndQuery() {
            return SCHED_Q + "?queue_name=" + enc(queue) + (wantBody ? "&want_body=true" : "")
                    + (noLimit ? "" : "&limit=" + limit);
        }

        @Override
        void print(JsonNode a) {
            out().println("queue " + a.path("queue_name").asText() + ": " + a.path("num_scheduled").asInt()
                    + " scheduled");
            a.path("queue_config").fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    out().println("  " + e.getKey() + " = " + e.getValue().asText());
                }
            });
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("ID", "RECIPIENT", "ATTEMPTS", "DUE"));
            a.path("messages").forEach(e -> rows.add(List.of(e.path("id").asText(),
                    e.path("message").path("recipient").asText(), text(e.path("message"), "num_attempts"),
                    text(e.path("message"), "due"))));
            if (rows.size() > 1) {
                Table.print(out(), rows);
            }
            if (wantBody) {
                a.path("messages").forEach(e -> {
                    out().println();
                    out().println("--- " + e.path("id").asText());
                    out().print(e.path("message").path("data").asText());
                });
            }
        }
    }

    @Command(name = "inspect-ready-q", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Show a ready queue (source->site): its counts, suspension and path config.",
            description = {"Show a ready queue (source->site): its source, pool, site, provider, waiting and",
                "connection counts, suspension and, with --config, its egress path config.", EXIT, ""})
    static final class InspectReadyQ extends Query {
        @Parameters(index = "0", paramLabel = "QUEUE_NAME", description = "The ready queue, as `sluice ready-q-states` "
                + "lists it.")
        String queue;

        @Option(names = "--config", description = "Include the egress path config in force.")
        boolean config;

        @Override
        String pathAndQuery() {
            return READY_Q + "?queue_name=" + enc(queue);
        }

        @Override
        void print(JsonNode a) {
            JsonNode st = a.path("state");
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("queue", a.path("queue_name").asText()));
            rows.add(List.of("source", a.path("egress_source").asText()));
            rows.add(List.of("pool", a.path("egress_pool").asText()));
            rows.add(List.of("site", a.path("site_name").asText()));
            rows.add(List.of("provider", a.path("provider").asText()));
            rows.add(List.of("waiting", st.path("ready_count").asText()));
            rows.add(List.of("connections", st.path("connection_count").asText()));
            rows.add(List.of("suspended", suspension(st)));
            if (config) {
                a.path("path_config").fields().forEachRemaining(e -> rows.add(List.of("config." + e.getKey(),
                        e.getValue().isNull() ? "-" : e.getValue().isValueNode() ? e.getValue().asText()
                                : e.getValue().toString())));
            }
            Table.print(out(), rows);
        }
    }

    @Command(name = "ready-q-states", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"List the ready queues with their waiting and connection counts and suspensions.", EXIT, ""})
    static final class ReadyQStates extends Query {
        @Option(names = "--queue", paramLabel = "NAME", description = "Only this ready queue (repeatable).")
        List<String> queues = new ArrayList<>();

        @Override
        String pathAndQuery() {
            return READY_Q_STATES + (queues.isEmpty() ? "" : "?queues=" + enc(String.join(",", queues)));
        }

        @Override
        void print(JsonNode a) {
            JsonNode states = a.path("states_by_ready_queue");
            if (states.isEmpty()) {
                out().println("no ready queues");
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("READY QUEUE", "PROVIDER", "Q", "C", "SUSPENDED"));
            states.fields().forEachRemaining(e -> rows.add(List.of(e.getKey(), text(e.getValue(), "provider"),
                    e.getValue().path("ready_count").asText(), e.getValue().path("connection_count").asText(),
                    suspension(e.getValue()))));
            Table.print(out(), rows);
        }
    }

    @Command(name = "provider-summary", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Traffic by provider (or by MX site): delivered, failed, connections, queued; largest first.",
            description = {"Traffic grouped by provider: the shaping's provider name when the policy sets one, else",
                "the MX site. D = delivered, T = transient failures, F = permanent failures (counted since the",
                "MTA started, from /metrics.json), C = open connections, Q = waiting in ready queues. Ordered by",
                "D+T+F+Q, largest first.", EXIT, ""})
    static final class ProviderSummary extends Query {
        @Option(names = "--by-pool", description = "Break each provider down by egress pool.")
        boolean byPool;

        @Option(names = "--limit", paramLabel = "N", description = "Show at most N rows.")
        Integer limit;

        private JsonNode metrics;

        @Override
        String pathAndQuery() {
            return READY_Q_STATES;
        }

        @Override
        public Integer call() throws Exception {
            if (!json) {
                Answer m = call("GET", "/metrics.json", null);
                if (m == null) {
                    return 1;
                }
                metrics = JSON.readTree(m.body());
            }
            return super.call();
        }

        @Override
        void print(JsonNode a) {
            // D, T, F, C, Q, queues
            Map<List<String>, long[]> groups = new TreeMap<>(Comparator.comparing(k -> String.join("\u0000", k)));
            a.path("states_by_ready_queue").forEach(st -> {
                long[] sums = groups.computeIfAbsent(key(text(st, "provider"), text(st, "egress_pool")),
                        k -> new long[6]);
                sums[3] += st.path("connection_count").asLong();
                sums[4] += st.path("ready_count").asLong();
                sums[5]++;
            });
            String[] kinds = {"delivered", "transfail", "fail"};
            for (int i = 0; i < kinds.length; i++) {
                int column = i;
                // [{"pool", "provider", "source", "@": n}, ...] (KumoMTA's form of a metric with several labels)
                metrics.path("total_messages_" + kinds[i] + "_by_provider_and_source").path("value").forEach(v ->
                        groups.computeIfAbsent(key(v.path("provider").asText(), v.path("pool").asText()),
                                k -> new long[6])[column] += v.path("@").asLong());
            }
            if (groups.isEmpty()) {
                out().println("no traffic and no ready queues");
                return;
            }
            List<Map.Entry<List<String>, long[]>> sorted = new ArrayList<>(groups.entrySet());
            sorted.sort(Comparator.comparingLong((Map.Entry<List<String>, long[]> e) ->
                    -(e.getValue()[0] + e.getValue()[1] + e.getValue()[2] + e.getValue()[4])));
            List<List<String>> rows = new ArrayList<>();
            rows.add(byPool ? List.of("PROVIDER", "POOL", "D", "T", "F", "C", "Q")
                    : List.of("PROVIDER", "D", "T", "F", "C", "Q"));
            for (var e : sorted.subList(0, limit == null ? sorted.size() : Math.min(limit, sorted.size()))) {
                List<String> row = new ArrayList<>(e.getKey());
                for (int i = 0; i < 5; i++) {
                    row.add(String.valueOf(e.getValue()[i]));
                }
                rows.add(row);
            }
            Table.print(out(), rows);
        }

        private List<String> key(String provider, String pool) {
            return byPool ? List.of(provider, pool.isEmpty() ? "-" : pool) : List.of(provider);
        }
    }

    @Command(name = "set-log-filter", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Change the running MTA's diagnostic log levels (e.g. 'kumod=debug').",
            description = {"Change the running MTA's diagnostic log levels, e.g. 'kumod=debug' (all of Sluice),",
                "'info,dev.sluice.mta.queue=trace', 'warn'. The next filter replaces this one.", EXIT, ""})
    static final class SetLogFilter extends AdminCommands.Base {
        static final String PATH = "/api/admin/set_diagnostic_log_filter/v1";

        @Parameters(index = "0", paramLabel = "FILTER", description = "Comma-separated: LEVEL or TARGET=LEVEL.")
        String filter;

        @Override
        public Integer call() throws Exception {
            Answer a = call("POST", PATH, JSON.createObjectNode().put("filter", filter));
            if (a == null) {
                return 1;
            }
            out().println("diagnostic log filter: " + JSON.readTree(a.body()).path("filter").asText());
            out().flush();
            return 0;
        }
    }

    @Command(name = "rebind", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Re-queue the matching messages with new meta, or through the policy's rebind_message.",
            description = {"Re-queue the matching queued messages with new meta (--set KEY=VALUE, --data JSON), or",
                "hand each with the data to the policy's rebind_message (--trigger-rebind-event). Each gets an",
                "AdminRebind record with the reason (unless --suppress-logging).", EXIT, ""})
    static final class Rebind extends AdminCommands.Base {
        static final String PATH = "/api/admin/rebind/v1";

        @picocli.CommandLine.Mixin
        QueueMatch match;

        @Option(names = "--reason", required = true, paramLabel = "REASON", description = "Logged in each AdminRebind record.")
        String reason;

        @Option(names = "--always-flush", description = "Make every matched message due now, even if its queue is unchanged.")
        boolean alwaysFlush;

        @Option(names = "--suppress-logging", description = "Write no AdminRebind records.")
        boolean suppressLogging;

        @Option(names = "--trigger-rebind-event", description = "Pass each message and the data to rebind_message "
                + "instead of setting the data as meta.")
        boolean triggerEvent;

        @Option(names = "--data", paramLabel = "JSON", description = "A JSON object of string keys and values.")
        String data;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "One more key and value (repeatable).")
        List<String> set = new ArrayList<>();

        @Option(names = "--json", description = "Print the MTA's JSON answer instead of a sentence.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            var body = JSON.createObjectNode();
            match.apply(spec, false, "", body);
            var values = body.putObject("data");
            if (data != null) {
                JsonNode given;
                try {
                    given = JSON.readTree(data);
                } catch (java.io.IOException e) {
                    given = null;
                }
                if (given == null || !given.isObject()) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--data: '" + data + "' is not a JSON object");
                }
                values.setAll((com.fasterxml.jackson.databind.node.ObjectNode) given);
            }
            for (String kv : set) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--set: '" + kv + "' is not KEY=VALUE");
                }
                values.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            body.put("reason", reason).put("always_flush", alwaysFlush).put("suppress_logging", suppressLogging)
                    .put("trigger_rebind_event", triggerEvent);
            Answer a = call("POST", PATH, body);
            if (a == null) {
                return 1;
            }
            out().println(json ? a.body().strip()
                    : "rebound " + JSON.readTree(a.body()).path("rebound").asInt() + " message(s)");
            out().flush();
            return 0;
        }
    }

    private static String suspension(JsonNode state) {
        JsonNode s = state.path("suspended");
        return s.isMissingNode() || s.isNull() ? "-"
                : s.path("reason").asText() + " (" + s.path("duration").asText() + " left)";
    }

    private static String text(JsonNode e, String key) {
        JsonNode v = e.get(key);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
