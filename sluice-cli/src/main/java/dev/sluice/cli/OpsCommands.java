package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * kcli's operations verbs over the MTA's HTTP admin API: {@code resolve-egress-path} (what the policy would do
 * for a domain), {@code xfer} and {@code xfer-cancel} (move queued messages to another node). The live views
 * ({@code trace-smtp-server}, {@code trace-smtp-client}, {@code top}) are in {@link LiveCommands}. Text for a
 * human by default, {@code --json} for scripts. Exit code: 0 done, 1 the MTA could not be reached or refused,
 * 2 usage.
 */
final class OpsCommands {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String RESOLVE_EGRESS_PATH = "/api/admin/resolve-egress-path/v1";
    private static final String EXIT = "Exit code: 0 done, 1 the MTA could not be reached or refused, 2 usage.";

    private OpsCommands() {}

    /** The commands, for {@link Main}'s list. */
    static final Class<?>[] ALL = {ResolveEgressPath.class, Xfer.class, XferCancel.class};

    @Command(name = "resolve-egress-path", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Show which queue config, source, proxy, MX site and path config mail to a domain would get.",
            description = {"Ask the running MTA what its policy would do for mail to DOMAIN: get_queue_config, the",
                "egress pool and source (SOURCE, else the pool's heaviest), the source's proxy, the MX site, and",
                "get_egress_path_config for them, with the ceilings they imply. Nothing is sent.", EXIT, ""})
    static final class ResolveEgressPath extends AdminCommands.Base {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "The destination domain.")
        String domain;

        @Parameters(index = "1", paramLabel = "SOURCE", arity = "0..1",
                description = "The egress source (default: the heaviest of the queue's pool).")
        String source;

        @Option(names = "--tenant", paramLabel = "TENANT", description = "The tenant, for get_queue_config.")
        String tenant;

        @Option(names = "--campaign", paramLabel = "CAMPAIGN", description = "The campaign, for get_queue_config.")
        String campaign;

        @Option(names = "--routing-domain", paramLabel = "DOMAIN", description = "The routing domain, for get_queue_config.")
        String routingDomain;

        @Option(names = "--json", description = "Print the MTA's JSON answer.")
        boolean json;

        @Option(names = "--config", description = "Print only the egress path config.")
        boolean config;

        @Option(names = "--constraints", description = "Print only the ceilings.")
        boolean constraints;

        @Override
        public Integer call() throws Exception {
            if ((json ? 1 : 0) + (config ? 1 : 0) + (constraints ? 1 : 0) > 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--json, --config and --constraints exclude each other");
            }
            StringBuilder q = new StringBuilder(RESOLVE_EGRESS_PATH).append("?domain=").append(enc(domain));
            add(q, "source", source);
            add(q, "tenant", tenant);
            add(q, "campaign", campaign);
            add(q, "routing_domain", routingDomain);
            Answer a = call("GET", q.toString(), null);
            if (a == null) {
                return 1;
            }
            JsonNode r = JSON.readTree(a.body());
            if (json) {
                out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
            } else if (config) {
                printConfig(r.path("path_config"));
            } else if (constraints) {
                printConstraints(r.path("constraints"));
            } else {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("domain", r.path("domain").asText()));
                rows.add(List.of("scheduled queue", r.path("scheduled_queue").asText()));
                rows.add(List.of("egress pool", r.path("egress_pool").asText()));
                List<String> pool = new ArrayList<>();
                r.path("pool_sources").forEach(s -> pool.add(s.path("name").asText() + " (weight "
                        + s.path("weight").asText() + ")"));
                rows.add(List.of("pool sources", String.join(", ", pool)));
                rows.add(List.of("source", r.path("source").asText()));
                JsonNode sc = r.path("source_config");
                rows.add(List.of("proxy", proxy(sc)));
                rows.add(List.of("source address", orDash(sc.path("source_address"))));
                rows.add(List.of("ready queue", r.path("queue_name").asText()));
                JsonNode mx = r.path("mx");
                if (!mx.isNull() && !mx.isMissingNode()) {
                    rows.add(List.of("site", mx.path("site_name").asText()));
                    List<String> hosts = new ArrayList<>();
                    mx.path("hosts").forEach(h -> hosts.add(h.asText()));
                    rows.add(List.of("destinations", hosts.isEmpty() ? "-" : String.join(", ", hosts)));
                    mx.path("lookup_errors").forEach(e -> rows.add(List.of("lookup error", e.asText())));
                }
                Table.print(out(), rows);
                out().println();
                out().println("queue config:");
                printConfig(r.path("queue_config"));
                out().println();
                out().println("path config:");
                printConfig(r.path("path_config"));
                out().println();
                out().println("ceilings:");
                printConstraints(r.path("constraints"));
            }
            out().flush();
            return 0;
        }

        private void printConfig(JsonNode c) {
            c.fields().forEachRemaining(e -> out().println("  " + e.getKey() + " = "
                    + (e.getValue().isNull() ? "-" : e.getValue().isValueNode() ? e.getValue().asText()
                            : e.getValue().toString())));
        }

        private void printConstraints(JsonNode c) {
            c.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                if (v.isObject()) {
                    JsonNode src = v.path("source");
                    out().println("  " + e.getKey() + " = " + v.path("display").asText() + " (from "
                            + src.path("kind").asText() + (src.has("name") ? " " + src.path("name").asText() : "")
                            + ")");
                } else if (v.isTextual()) {
                    out().println("  " + e.getKey() + " = " + v.asText());
                }
            });
        }

        private static String proxy(JsonNode sc) {
            if (!sc.path("socks5_proxy_server").isNull() && !sc.path("socks5_proxy_server").isMissingNode()) {
                return "socks5 " + sc.path("socks5_proxy_server").asText();
            }
            if (!sc.path("ha_proxy_server").isNull() && !sc.path("ha_proxy_server").isMissingNode()) {
                return "haproxy " + sc.path("ha_proxy_server").asText();
            }
            return "none (direct)";
        }
    }

    @Command(name = "xfer", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Move the matching queued messages to another Sluice or KumoMTA node.",
            description = {"Move the matching queued messages into the transfer queue of TARGET (another Sluice or",
                "KumoMTA node's HTTP listener, e.g. http://10.0.0.2:8000), which sends each to the target's",
                "/api/xfer/inject/v1. A message leaves this node only once the target has stored it; while the",
                "target refuses or is down, the messages wait and are tried every 10 s (`sluice queue` lists",
                "them under TARGET/.xfer.kumomta.internal; xfer-cancel takes them back). The move runs on",
                "after the answer; each message gets an AdminRebind record with the reason.", EXIT, ""})
    static final class Xfer extends AdminCommands.Base {
        @picocli.CommandLine.Mixin
        QueueMatch match;

        @Option(names = "--queue", paramLabel = "QUEUE", description = "Exactly this scheduled queue (repeatable).")
        List<String> queues = new ArrayList<>();

        @Option(names = "--reason", required = true, paramLabel = "REASON", description = "Logged in each AdminRebind record.")
        String reason;

        @Option(names = "--target", required = true, paramLabel = "URL",
                description = "The other node's HTTP listener, e.g. http://10.0.0.2:8000.")
        String target;

        @Option(names = "--json", description = "Print the MTA's JSON answer instead of a sentence.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            var body = JSON.createObjectNode();
            match.apply(spec, !queues.isEmpty(), ", --queue", body);
            if (!queues.isEmpty()) {
                var list = body.putArray("queue_names");
                queues.forEach(list::add);
            }
            body.put("reason", reason).put("target", target);
            Answer a = call("POST", "/api/admin/xfer/v1", body);
            if (a == null) {
                return 1;
            }
            out().println(json ? a.body().strip() : "transfer to " + target + " started: the matching messages "
                    + "move to " + target.replaceAll("/+$", "") + "/.xfer.kumomta.internal");
            out().flush();
            return 0;
        }
    }

    @Command(name = "xfer-cancel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Take the messages of a transfer queue back to their own queues.",
            description = {"Take the messages waiting in the transfer queue QUEUE_NAME (as `sluice queue` lists it,",
                "e.g. http://10.0.0.2:8000/.xfer.kumomta.internal) back to their own queues, with their",
                "scheduling. Messages being sent at that moment finish; run it again to catch stragglers.", EXIT, ""})
    static final class XferCancel extends AdminCommands.Base {
        @Parameters(index = "0", paramLabel = "QUEUE_NAME", description = "The transfer queue.")
        String queue;

        @Option(names = "--reason", required = true, paramLabel = "REASON", description = "Logged in each AdminRebind record.")
        String reason;

        @Option(names = "--json", description = "Print the MTA's JSON answer instead of a sentence.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Answer a = call("POST", "/api/admin/xfer/cancel/v1",
                    JSON.createObjectNode().put("queue_name", queue).put("reason", reason));
            if (a == null) {
                return 1;
            }
            out().println(json ? a.body().strip() : "cancelling the transfer queue " + queue
                    + ": its waiting messages go back to their queues");
            out().flush();
            return 0;
        }
    }

    static String orDash(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() ? "-" : v.asText();
    }

    private static void add(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append('&').append(name).append('=').append(enc(value));
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
