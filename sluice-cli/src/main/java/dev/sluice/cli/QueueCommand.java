package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice queue}: the MTA's scheduled and ready queues, from its queue-summary admin route. */
@Command(
        name = "queue",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "List the scheduled queues (messages waiting for their next attempt) and the ready queues (messages",
            "waiting for a connection, and connections) of a running `sluice mta`, from its HTTP listener.",
            "Exit code: 0 listed, 1 the MTA could not be reached or answered an error.",
            ""
        })
final class QueueCommand implements java.util.concurrent.Callable<Integer> {
    static final String PATH = "/api/admin/queue-summary/v1";

    @Spec CommandSpec spec;

    @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8000",
            description = "The MTA's HTTP listener (default ${DEFAULT-VALUE}).")
    String http;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI uri;
        try {
            uri = URI.create("http://" + HostPort.parse("--http", http).authority() + PATH);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        JsonNode summary;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                err.println("sluice queue: " + uri + " answered " + response.statusCode() + ": "
                        + response.body().strip());
                return 1;
            }
            summary = new ObjectMapper().readTree(response.body());
        } catch (IOException e) {
            err.println("sluice queue: cannot reach the MTA at " + http + " (" + uri + "): "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        }
        print(out, summary);
        return 0;
    }

    /** The tables; a SUSPENDED column (the reason) only when the operator suspended one of the queues listed. */
    static void print(PrintWriter out, JsonNode summary) {
        JsonNode suspended = summary.path("suspended");
        boolean marks = !suspended.isEmpty();
        List<List<String>> scheduled = new ArrayList<>();
        scheduled.add(row(marks, "SUSPENDED", "SCHEDULED QUEUE", "MESSAGES"));
        for (Map.Entry<String, JsonNode> e : summary.path("scheduled").properties()) {
            scheduled.add(row(marks, suspended.path(e.getKey()).asText("-"), e.getKey(), e.getValue().asText()));
        }
        Table.print(out, scheduled);
        out.println();
        boolean readyMarks = false;
        for (JsonNode q : summary.path("ready")) {
            readyMarks |= q.has("suspended");
        }
        List<List<String>> ready = new ArrayList<>();
        ready.add(row(readyMarks, "SUSPENDED", "READY QUEUE", "WAITING", "CONNECTIONS"));
        for (Map.Entry<String, JsonNode> e : summary.path("ready").properties()) {
            ready.add(row(readyMarks, e.getValue().path("suspended").asText("-"), e.getKey(),
                    e.getValue().path("waiting").asText(), e.getValue().path("connections").asText()));
        }
        Table.print(out, ready);
        out.flush();
    }

    private static List<String> row(boolean withMark, String mark, String... cells) {
        List<String> row = new ArrayList<>(List.of(cells));
        if (withMark) {
            row.add(mark);
        }
        return row;
    }
}
