package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * kcli's verbs for the MTA's admin bounces and suspensions, over its HTTP admin API ({@code /api/admin/bounce/v1},
 * {@code /api/admin/suspend/v1}, {@code /api/admin/suspend-ready-q/v1}): {@code bounce}, {@code bounce-list},
 * {@code bounce-cancel}, {@code suspend}, {@code suspend-list}, {@code suspend-cancel}, {@code suspend-ready-q},
 * {@code suspend-ready-q-list}, {@code suspend-ready-q-cancel}. Tables by default, {@code --json} for scripts.
 * Exit code: 0 done, 1 the MTA could not be reached or refused (the id unknown, the body wrong), 2 usage.
 */
final class AdminCommands {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BOUNCE = "/api/admin/bounce/v1";
    static final String SUSPEND = "/api/admin/suspend/v1";
    static final String SUSPEND_READY_Q = "/api/admin/suspend-ready-q/v1";
    private static final String EXIT = "Exit code: 0 done, 1 the MTA could not be reached or refused, 2 usage.";

    private AdminCommands() {}

    /** The commands, for {@link Main}'s list. */
    static final Class<?>[] ALL = {Bounce.class, BounceList.class, BounceCancel.class, Suspend.class,
        SuspendList.class, SuspendCancel.class, SuspendReadyQ.class, SuspendReadyQList.class,
        SuspendReadyQCancel.class};

    /** What every verb shares: where the MTA is, how to log in, and the HTTP call. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--endpoint", paramLabel = "URL", defaultValue = "http://127.0.0.1:8000",
                description = "The MTA's HTTP listener, as kcli's --endpoint (default ${DEFAULT-VALUE}); HOST:PORT also works.")
        String endpoint;

        @Option(names = "--user", paramLabel = "USER:PASSWORD",
                description = "HTTP Basic credentials, for a host outside the listener's trusted_hosts "
                        + "(checked by the policy's http_server_validate_auth_basic).")
        String user;

        /** The HTTP status of the last call's answer; 0 when the MTA could not be reached. */
        int status;

        /** The answer to one call; {@code null} when the MTA could not be reached (already reported). */
        record Answer(int status, String body) {}

        final PrintWriter out() {
            return spec.commandLine().getOut();
        }

        final String name() {
            return spec.name();
        }

        final URI uri(String path) {
            String base = endpoint.strip();
            if (!base.contains("://")) {
                try {
                    base = "http://" + HostPort.parse("--endpoint", base).host() + ":"
                            + HostPort.parse("--endpoint", base).port();
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
            }
            try {
                URI u = URI.create(base.replaceAll("/+$", "") + path);
                if (u.getHost() == null) {
                    throw new IllegalArgumentException("no host");
                }
                return u;
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--endpoint: '" + endpoint + "' is not a URL");
            }
        }

        /** Calls the MTA; reports a failure on stderr and returns null. */
        final Answer call(String method, String path, JsonNode body) throws InterruptedException {
            URI uri = uri(path);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
            }
            if (user != null) {
                b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        user.getBytes(StandardCharsets.UTF_8)));
            }
            PrintWriter err = spec.commandLine().getErr();
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
                if (r.statusCode() != 200) {
                    err.println("sluice " + name() + ": " + method + " " + uri + " answered " + r.statusCode() + ": "
                            + r.body().strip());
                    err.flush();
                    return null;
                }
                return new Answer(r.statusCode(), r.body());
            } catch (IOException e) {
                err.println("sluice " + name() + ": cannot reach the MTA at " + endpoint + " (" + uri + "): "
                        + (e instanceof java.net.ConnectException ? "connection refused"
                                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                err.flush();
                return null;
            }
        }
    }

    /** POST of a new entry: prints its id (or the answer with --json). */
    abstract static class Create extends Base {
        @Option(names = "--reason", required = true, paramLabel = "REASON",
                description = "Why: shown in the list (and, for a bounce, in each AdminBounce record).")
        String reason;

        @Option(names = "--duration", paramLabel = "DURATION",
                description = "How long it stays in force, e.g. 30m, '1h 30m' (default 5m).")
        String duration;

        @Option(names = "--json", description = "Print the MTA's JSON answer instead of a sentence.")
        boolean json;

        abstract String path();

        abstract ObjectNode body();

        abstract String what(String id);

        @Override
        public Integer call() throws Exception {
            ObjectNode body = body();
            body.put("reason", reason);
            if (duration != null) {
                body.put("duration", duration);
            }
            Answer a = call("POST", path(), body);
            if (a == null) {
                return 1;
            }
            if (json) {
                out().println(a.body().strip());
            } else {
                out().println(what(JSON.readTree(a.body()).path("id").asText()));
            }
            out().flush();
            return 0;
        }
    }

    /** GET of the entries: a table, or the JSON. */
    abstract static class ListEntries extends Base {
        @Option(names = "--json", description = "Print the MTA's JSON instead of a table.")
        boolean json;

        abstract String path();

        abstract List<String> header();

        abstract List<String> row(JsonNode entry);

        @Override
        public Integer call() throws Exception {
            Answer a = call("GET", path(), null);
            if (a == null) {
                return 1;
            }
            if (json) {
                out().println(a.body().strip());
            } else {
                JsonNode entries = JSON.readTree(a.body());
                if (entries.isEmpty()) {
                    out().println("none");
                } else {
                    List<List<String>> rows = new ArrayList<>();
                    rows.add(header());
                    entries.forEach(e -> rows.add(row(e)));
                    Table.print(out(), rows);
                }
            }
            out().flush();
            return 0;
        }
    }

    /** DELETE by id. */
    abstract static class Cancel extends Base {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The entry's id, as listed.")
        String id;

        abstract String path();

        @Override
        public Integer call() throws Exception {
            Answer a = call("DELETE", path(), JSON.createObjectNode().put("id", id));
            if (a == null) {
                return 1;
            }
            out().println("cancelled " + id);
            out().flush();
            return 0;
        }
    }

    /** The criteria shared by bounce and suspend (kcli's: one of them, or --everything, is required). */
    abstract static class Criteria extends Create {
        @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only queues of this recipient domain.")
        String domain;

        @Option(names = "--campaign", paramLabel = "CAMPAIGN", description = "Only queues of this campaign.")
        String campaign;

        @Option(names = "--tenant", paramLabel = "TENANT", description = "Only queues of this tenant.")
        String tenant;

        @Option(names = "--queue", paramLabel = "QUEUE", description = "Exactly this scheduled queue name "
                + "(repeatable); takes precedence over --domain, --campaign and --tenant.")
        List<String> queues = new ArrayList<>();

        @Option(names = "--everything", description = "Every queue: required when no other criterion is given.")
        boolean everything;

        void criteria(ObjectNode body, String routingDomain) {
            boolean any = domain != null || campaign != null || tenant != null || routingDomain != null
                    || !queues.isEmpty();
            if (!any && !everything) {
                throw new ParameterException(spec.commandLine(), "give --domain, --campaign, --tenant, "
                        + (routingDomain == null && this instanceof Bounce ? "--routing-domain, " : "")
                        + "--queue, or --everything to mean every queue");
            }
            if (any && everything) {
                throw new ParameterException(spec.commandLine(), "--everything cannot be combined with criteria");
            }
            putIf(body, "domain", domain);
            putIf(body, "campaign", campaign);
            putIf(body, "tenant", tenant);
            putIf(body, "routing_domain", routingDomain);
            if (!queues.isEmpty()) {
                ArrayNode names = body.putArray("queue_names");
                queues.forEach(names::add);
            }
        }

        String left() {
            return duration == null ? "5m" : duration;
        }
    }

    @Command(name = "bounce", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Bounce the matching messages, queued now and arriving for --duration.",
                "Each gets an AdminBounce log record with the reason (unless --suppress-logging) and leaves the spool.",
                "Cannot be undone.", EXIT, ""})
    static final class Bounce extends Criteria {
        @Option(names = "--routing-domain", paramLabel = "DOMAIN", description = "Only queues of this routing domain.")
        String routingDomain;

        @Option(names = "--suppress-logging", description = "Write no AdminBounce records.")
        boolean suppressLogging;

        @Override
        String path() {
            return BOUNCE;
        }

        @Override
        ObjectNode body() {
            ObjectNode body = JSON.createObjectNode();
            criteria(body, routingDomain);
            if (suppressLogging) {
                body.put("suppress_logging", true);
            }
            return body;
        }

        @Override
        String what(String id) {
            return "bounce " + id + ": matching messages are bounced now and for " + left();
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Suspend the matching scheduled queues.",
                "Their messages wait (no attempt is counted) until --duration ends or `sluice suspend-cancel`,",
                "then flow at once.", EXIT, ""})
    static final class Suspend extends Criteria {
        @Override
        String path() {
            return SUSPEND;
        }

        @Override
        ObjectNode body() {
            ObjectNode body = JSON.createObjectNode();
            criteria(body, null);
            return body;
        }

        @Override
        String what(String id) {
            return "suspension " + id + ": matching scheduled queues hold their messages for " + left();
        }
    }

    @Command(name = "suspend-ready-q", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Suspend one ready queue (source->site).",
                "It opens no connection until --duration ends or `sluice suspend-ready-q-cancel`; its messages",
                "wait, none is lost. `sluice queue` lists the ready queue names.", EXIT, ""})
    static final class SuspendReadyQ extends Create {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "The ready queue, source->site.")
        String name;

        @Override
        String path() {
            return SUSPEND_READY_Q;
        }

        @Override
        ObjectNode body() {
            return JSON.createObjectNode().put("name", name);
        }

        @Override
        String what(String id) {
            return "suspension " + id + ": ready queue " + name + " sends nothing for "
                    + (duration == null ? "5m" : duration);
        }
    }

    @Command(name = "bounce-list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"List the admin bounces in force, with the messages each bounced so far.", EXIT, ""})
    static final class BounceList extends ListEntries {
        @Override
        String path() {
            return BOUNCE;
        }

        @Override
        List<String> header() {
            return List.of("ID", "DOMAIN", "CAMPAIGN", "TENANT", "ROUTING DOMAIN", "QUEUES", "LEFT", "BOUNCED", "REASON");
        }

        @Override
        List<String> row(JsonNode e) {
            return List.of(e.path("id").asText(), text(e, "domain"), text(e, "campaign"), text(e, "tenant"),
                    text(e, "routing_domain"), names(e), e.path("duration").asText(),
                    e.path("total_bounced").asText(), e.path("reason").asText());
        }
    }

    @Command(name = "suspend-list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"List the scheduled-queue suspensions in force.", EXIT, ""})
    static final class SuspendList extends ListEntries {
        @Override
        String path() {
            return SUSPEND;
        }

        @Override
        List<String> header() {
            return List.of("ID", "DOMAIN", "CAMPAIGN", "TENANT", "QUEUES", "LEFT", "REASON");
        }

        @Override
        List<String> row(JsonNode e) {
            return List.of(e.path("id").asText(), text(e, "domain"), text(e, "campaign"), text(e, "tenant"),
                    names(e), e.path("duration").asText(), e.path("reason").asText());
        }
    }

    @Command(name = "suspend-ready-q-list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"List the ready-queue suspensions in force.", EXIT, ""})
    static final class SuspendReadyQList extends ListEntries {
        @Override
        String path() {
            return SUSPEND_READY_Q;
        }

        @Override
        List<String> header() {
            return List.of("ID", "NAME", "LEFT", "EXPIRES", "REASON");
        }

        @Override
        List<String> row(JsonNode e) {
            return List.of(e.path("id").asText(), e.path("name").asText(), e.path("duration").asText(),
                    e.path("expires").asText(), e.path("reason").asText());
        }
    }

    @Command(name = "bounce-cancel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Cancel an admin bounce by its id (messages already bounced stay bounced).", EXIT, ""})
    static final class BounceCancel extends Cancel {
        @Override
        String path() {
            return BOUNCE;
        }
    }

    @Command(name = "suspend-cancel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Cancel a scheduled-queue suspension by its id: its messages flow at once.", EXIT, ""})
    static final class SuspendCancel extends Cancel {
        @Override
        String path() {
            return SUSPEND;
        }
    }

    @Command(name = "suspend-ready-q-cancel", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Cancel a ready-queue suspension by its id: the ready queue sends again at once.", EXIT, ""})
    static final class SuspendReadyQCancel extends Cancel {
        @Override
        String path() {
            return SUSPEND_READY_Q;
        }
    }

    private static void putIf(ObjectNode body, String key, String value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    private static String text(JsonNode e, String key) {
        JsonNode v = e.get(key);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    private static String names(JsonNode e) {
        List<String> names = new ArrayList<>();
        e.path("queue_names").forEach(n -> names.add(n.asText()));
        return names.isEmpty() ? "-" : String.join(",", names);
    }
}
