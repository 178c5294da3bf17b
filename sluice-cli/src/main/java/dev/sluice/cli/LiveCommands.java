package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * kcli's live views of a running MTA: {@code trace-smtp-server} and {@code trace-smtp-client} print SMTP
 * conversations as they happen (the MTA's websocket trace routes), {@code top} redraws queues and rates in the
 * terminal until {@code q}. Exit code: 0 done (the trace ended, q pressed), 1 the MTA could not be reached or
 * refused, 2 usage.
 */
final class LiveCommands {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EXIT = "Exit code: 0 done, 1 the MTA could not be reached or refused, 2 usage.";

    private LiveCommands() {}

    static final Class<?>[] ALL = {TraceSmtpServer.class, TraceSmtpClient.class, Top.class};

    /** What both traces share: the websocket, the printing of events, kcli's common options. */
    abstract static class Trace extends AdminCommands.Base {
        @Option(names = "--source", paramLabel = "CIDR", description = "Only sessions from (server) or out of "
                + "(client) this address range (repeatable), e.g. 10.0.0.1 or 192.168.1.0/24.")
        List<String> sources = new ArrayList<>();

        @Option(names = "--color", paramLabel = "WHEN", defaultValue = "tty",
                description = "Colour the output: tty (when stdout is a terminal), yes, no (default ${DEFAULT-VALUE}).")
        String color;

        @Option(names = "--only-new", description = "Ignore sessions that were open before the trace started.")
        boolean onlyNew;

        @Option(names = "--only-one", description = "Trace the first session seen, ignore all others.")
        boolean onlyOne;

        @Option(names = "--terse", description = "Abbreviate large reads (server) or writes (client): first line and size.")
        boolean terse;

        @Option(names = "--json", description = "Print each event as the MTA's JSON, one per line.")
        boolean json;

        abstract String path();

        abstract void request(ObjectNode request);

        /** The session key kcli prints in brackets. */
        abstract String key(JsonNode meta);

        /** Whether a Read is the peer speaking (server side) rather than the MTA's peer answering (client side). */
        abstract boolean readIsPeer();

        private final Map<String, Instant> opened = new HashMap<>();
        private final Map<String, JsonNode> metaSeen = new HashMap<>();
        private String wanted;

        @Override
        public Integer call() throws Exception {
            if (!List.of("tty", "yes", "no").contains(color)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--color: '" + color + "' is not tty, yes or no");
            }
            boolean colour = color.equals("yes") || color.equals("tty") && System.console() != null;
            ObjectNode request = JSON.createObjectNode();
            if (!sources.isEmpty()) {
                var list = request.putArray("source_addr");
                sources.forEach(list::add);
            }
            if (terse) {
                request.put("terse", true);
            }
            request(request);
            URI http = uri(path());
            URI ws = URI.create(http.toString().replaceFirst("^http", "ws"));
            CompletableFuture<Void> done = new CompletableFuture<>();
            PrintWriter out = out();
            WebSocket.Listener listener = new WebSocket.Listener() {
                private final StringBuilder partial = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                        String text = partial.toString();
                        partial.setLength(0);
                        synchronized (out) {
                            print(out, text, colour);
                            out.flush();
                        }
                    }
                    socket.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
                    done.complete(null);
                    return null;
                }

                @Override
                public void onError(WebSocket socket, Throwable error) {
                    done.completeExceptionally(error);
                }
            };
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            WebSocket.Builder b = client.newWebSocketBuilder();
            if (user != null) {
                b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        user.getBytes(StandardCharsets.UTF_8)));
            }
            WebSocket socket;
            try {
                socket = b.buildAsync(ws, listener).join();
            } catch (java.util.concurrent.CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                String why = cause instanceof java.net.http.WebSocketHandshakeException h
                        ? "answered " + h.getResponse().statusCode() + ": " + String.valueOf(h.getResponse().body()).strip()
                        : cause instanceof java.net.ConnectException ? "connection refused" : String.valueOf(cause.getMessage());
                spec.commandLine().getErr().println("sluice " + name() + ": cannot trace at " + ws + ": " + why);
                spec.commandLine().getErr().flush();
                return 1;
            }
            socket.sendText(request.toString(), true).join();
            synchronized (out) {
                out.println("tracing " + (readIsPeer() ? "SMTP server sessions" : "outgoing SMTP sessions") + " of "
                        + endpoint + " (Ctrl-C stops)");
                out.flush();
            }
            try {
                done.join();
            } catch (java.util.concurrent.CompletionException e) {
                spec.commandLine().getErr().println("sluice " + name() + ": the trace ended: " + e.getCause());
                return 1;
            }
            return 0;
        }

        /** One event, as kcli prints it: {@code [key] +delta === Connected}, {@code ->} and {@code <-} lines. */
        private void print(PrintWriter out, String text, boolean colour) {
            if (json) {
                out.println(text);
                return;
            }
            JsonNode e;
            try {
                e = JSON.readTree(text);
            } catch (java.io.IOException x) {
                out.println("? " + text);
                return;
            }
            JsonNode meta = e.path("conn_meta");
            String key = meta.isObject() && !meta.isEmpty() ? key(meta) : "";
            JsonNode p = e.path("payload");
            String kind = p.isTextual() ? p.asText() : p.fieldNames().hasNext() ? p.fieldNames().next() : "?";
            Instant when = Instant.parse(e.path("when").asText(Instant.now().toString()));
            boolean begins = kind.equals("Connected") || kind.equals("BeginSession");
            if (!key.isEmpty() && !opened.containsKey(key)) {
                if (onlyNew && !begins) {
                    return;
                }
                if (onlyOne && wanted != null) {
                    return;
                }
                opened.put(key, when);
                if (onlyOne) {
                    wanted = key;
                }
            }
            if (!key.isEmpty() && onlyOne && !key.equals(wanted)) {
                return;
            }
            String delta = key.isEmpty() ? "" : String.format("%7.3fs", Duration.between(opened.get(key), when)
                    .toNanos() / 1e9);
            String prefix = "[" + key + "] " + delta + " ";
            String green = colour ? "\u001b[32m" : "";
            String cyan = colour ? "\u001b[36m" : "";
            String red = colour ? "\u001b[31m" : "";
            String normal = colour ? "\u001b[0m" : "";
            JsonNode prior = metaSeen.put(key, meta);
            if (prior != null && !prior.equals(meta) && meta.isObject()) {
                meta.fields().forEachRemaining(m -> {
                    if (!m.getValue().equals(prior.get(m.getKey()))) {
                        out.println(prefix + "=== conn_meta " + m.getKey() + "=" + m.getValue().asText());
                    }
                });
            }
            switch (kind) {
                case "Read", "Write" -> {
                    boolean peer = kind.equals("Read") == readIsPeer();
                    String arrow = peer ? green + " -> " : cyan + "<-  ";
                    for (String line : p.path(kind).asText().stripTrailing().split("\r?\n", -1)) {
                        out.println(prefix + arrow + line + normal);
                    }
                }
                case "AbbreviatedRead", "AbbreviatedWrite" -> {
                    boolean peer = kind.equals("AbbreviatedRead") == readIsPeer();
                    out.println(prefix + (peer ? green + " -> " : cyan + "<-  ") + p.path(kind).path("snippet").asText()
                            + normal);
                    out.println(prefix + "=== bytes " + (kind.endsWith("Read") ? "read" : "written") + "="
                            + p.path(kind).path("len").asText());
                }
                case "Diagnostic" -> out.println(prefix + "=== " + ("ERROR".equals(p.path(kind).path("level").asText())
                        ? red : "") + p.path(kind).path("level").asText() + ": " + p.path(kind).path("message").asText()
                        + normal);
                case "Connected" -> out.println(prefix + "=== Connected " + when.truncatedTo(ChronoUnit.MILLIS)
                        + describe(meta));
                default -> out.println(prefix + "=== " + kind);
            }
        }

        /** What a new session's meta says, on its Connected line. */
        String describe(JsonNode meta) {
            return "";
        }
    }

    @Command(name = "trace-smtp-server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Print the MTA's incoming SMTP sessions live, as they happen.",
            description = {"Print the conversations of the MTA's ESMTP listeners live: -> what the client sent,",
                "<- what the MTA answered. On a busy server, narrow it with --source. Runs until Ctrl-C.", EXIT, ""})
    static final class TraceSmtpServer extends Trace {
        @Override
        String path() {
            return "/api/admin/trace-smtp-server/v1";
        }

        @Override
        void request(ObjectNode request) {}

        @Override
        String key(JsonNode meta) {
            return meta.path("received_from").asText("?") + "->" + meta.path("received_via").asText("?");
        }

        @Override
        boolean readIsPeer() {
            return true;
        }
    }

    @Command(name = "trace-smtp-client", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Print the MTA's outgoing SMTP sessions live, as they happen.",
            description = {"Print the MTA's delivery conversations live: -> what the MTA sent, <- what the",
                "destination answered. Filters on a property a session does not have (yet) let it through: the",
                "message's sender, recipient and domain are known once it is taken for sending. Runs until Ctrl-C.",
                EXIT, ""})
    static final class TraceSmtpClient extends Trace {
        @Option(names = "--mx-addr", paramLabel = "CIDR", description = "Only connections to these MX addresses (repeatable).")
        List<String> mxAddr = new ArrayList<>();

        @Option(names = "--mx-host", paramLabel = "HOST", description = "Only this MX host name (repeatable).")
        List<String> mxHost = new ArrayList<>();

        @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only messages to this domain (repeatable).")
        List<String> domain = new ArrayList<>();

        @Option(names = "--routing-domain", paramLabel = "DOMAIN", description = "Only this routing domain (repeatable).")
        List<String> routingDomain = new ArrayList<>();

        @Option(names = "--campaign", paramLabel = "CAMPAIGN", description = "Only this campaign (repeatable).")
        List<String> campaign = new ArrayList<>();

        @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant (repeatable).")
        List<String> tenant = new ArrayList<>();

        @Option(names = "--egress-pool", paramLabel = "POOL", description = "Only this egress pool (repeatable).")
        List<String> egressPool = new ArrayList<>();

        @Option(names = "--egress-source", paramLabel = "SOURCE", description = "Only this egress source (repeatable).")
        List<String> egressSource = new ArrayList<>();

        @Option(names = "--mail-from", paramLabel = "ADDRESS", description = "Only this envelope sender (repeatable).")
        List<String> mailFrom = new ArrayList<>();

        @Option(names = "--rcpt-to", paramLabel = "ADDRESS", description = "Only this envelope recipient (repeatable).")
        List<String> rcptTo = new ArrayList<>();

        @Option(names = "--ready-queue", paramLabel = "NAME", description = "Only this ready queue (repeatable).")
        List<String> readyQueue = new ArrayList<>();

        @Override
        String path() {
            return "/api/admin/trace-smtp-client/v1";
        }

        @Override
        void request(ObjectNode request) {
            list(request, "mx_addr", mxAddr);
            list(request, "mx_host", mxHost);
            list(request, "domain", domain);
            list(request, "routing_domain", routingDomain);
            list(request, "campaign", campaign);
            list(request, "tenant", tenant);
            list(request, "egress_pool", egressPool);
            list(request, "egress_source", egressSource);
            list(request, "mail_from", mailFrom);
            list(request, "rcpt_to", rcptTo);
            list(request, "ready_queue", readyQueue);
        }

        private static void list(ObjectNode request, String key, List<String> values) {
            if (!values.isEmpty()) {
                var a = request.putArray(key);
                values.forEach(a::add);
            }
        }

        @Override
        String key(JsonNode meta) {
            return meta.path("id").asText("?");
        }

        @Override
        boolean readIsPeer() {
            return false;
        }

        @Override
        String describe(JsonNode meta) {
            return " " + meta.path("source_address").asText("?") + " -> " + meta.path("mx_host").asText("?") + " "
                    + meta.path("mx_address").asText("?");
        }
    }

    @Command(name = "top", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "A live view of the MTA's queues and delivery rates; q quits.",
            description = {"Redraw the running MTA's delivery rates (per second, from /metrics.json), its totals,",
                "and its largest scheduled and ready queues every --update-interval seconds. q (or Ctrl-C) quits.",
                EXIT, ""})
    static final class Top extends AdminCommands.Base {
        @Option(names = "--update-interval", paramLabel = "SECONDS", defaultValue = "1",
                description = "Seconds between refreshes (default ${DEFAULT-VALUE}).")
        double interval;

        private static final String[] KINDS = {"total_messages_delivered", "total_messages_transfail",
            "total_messages_fail"};

        @Override
        public Integer call() throws Exception {
            if (!(interval > 0)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--update-interval must be above 0");
            }
            PrintWriter out = out();
            Terminal terminal = Terminal.raw();
            Runtime.getRuntime().addShutdownHook(new Thread(terminal::restore));
            // The refresh (two HTTP calls, each up to its timeout against a slow MTA) runs on a daemon thread; this
            // thread only watches the keyboard, so q quits at once whatever the refresh is waiting for.
            CompletableFuture<Integer> refreshed = new CompletableFuture<>();
            Thread refresher = new Thread(() -> {
                try {
                    refreshed.complete(refresh(out, terminal));
                } catch (Throwable e) {
                    refreshed.completeExceptionally(e);
                }
            }, "top-refresh");
            refresher.setDaemon(true);
            refresher.start();
            try {
                while (!terminal.quitPressed()) {
                    try {
                        return refreshed.get(50, TimeUnit.MILLISECONDS); // the MTA could not be reached: 1
                    } catch (TimeoutException e) {
                        // still refreshing: look at the keys again
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof Exception x ? x : e;
                    }
                }
                return 0;
            } finally {
                terminal.restore(); // no drawing after this: the screen is the shell's again
                refresher.interrupt();
            }
        }

        /** Redraws every --update-interval until the MTA cannot be reached (1) or the terminal is restored. */
        private int refresh(PrintWriter out, Terminal terminal) throws Exception {
            double[] last = null;
            Instant lastAt = null;
            while (true) {
                Answer summary = call("GET", "/api/admin/queue-summary/v1", null);
                Answer metrics = summary == null ? null : call("GET", "/metrics.json", null);
                if (summary == null || metrics == null) {
                    return 1;
                }
                JsonNode m = JSON.readTree(metrics.body());
                double[] now = new double[KINDS.length];
                for (int i = 0; i < KINDS.length; i++) {
                    now[i] = sum(m.path(KINDS[i]).path("value"));
                }
                Instant at = Instant.now();
                double[] rate = new double[KINDS.length];
                if (last != null) {
                    double secs = Math.max(1e-3, Duration.between(lastAt, at).toNanos() / 1e9);
                    for (int i = 0; i < KINDS.length; i++) {
                        rate[i] = Math.max(0, now[i] - last[i]) / secs;
                    }
                }
                last = now;
                lastAt = at;
                String screen = draw(JSON.readTree(summary.body()), m, now, rate, terminal.rows());
                if (!terminal.write(out, screen)) {
                    return 0; // quit meanwhile
                }
                Thread.sleep((long) (interval * 1000));
            }
        }

        /** The screen: home, clear, the lines (one write so the screen does not flicker). */
        private String draw(JsonNode summary, JsonNode metrics, double[] totals, double[] rate, int rows) {
            List<String> lines = new ArrayList<>();
            lines.add("sluice top  " + endpoint + "  " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)
                    + "  (every " + interval + "s; q quits)");
            lines.add("");
            lines.add(String.format("rate/s    delivered %8.1f   transient %8.1f   failed %8.1f", rate[0], rate[1],
                    rate[2]));
            lines.add(String.format("total     delivered %8.0f   transient %8.0f   failed %8.0f", totals[0], totals[1],
                    totals[2]));
            lines.add(String.format("now       scheduled %8.0f   in dispatch %6.0f   connections %6.0f",
                    sum(metrics.path("scheduled_count").path("value")),
                    sum(metrics.path("dispatch_in_flight").path("value")),
                    sum(metrics.path("connection_count").path("value"))));
            lines.add("");
            List<Map.Entry<String, JsonNode>> sched = new ArrayList<>();
            summary.path("scheduled").fields().forEachRemaining(sched::add);
            sched.sort((a, b) -> Long.compare(b.getValue().asLong(), a.getValue().asLong()));
            List<Map.Entry<String, JsonNode>> ready = new ArrayList<>();
            summary.path("ready").fields().forEachRemaining(ready::add);
            ready.sort((a, b) -> Long.compare(b.getValue().path("waiting").asLong(), a.getValue().path("waiting").asLong()));
            int room = Math.max(2, (rows - lines.size() - 4) / 2);
            List<List<String>> t = new ArrayList<>();
            t.add(List.of("SCHEDULED QUEUE", "MESSAGES", "SUSPENDED"));
            sched.stream().limit(room).forEach(e -> t.add(List.of(e.getKey(), e.getValue().asText(),
                    summary.path("suspended").path(e.getKey()).asText("-"))));
            List<List<String>> r = new ArrayList<>();
            r.add(List.of("READY QUEUE", "WAITING", "CONNECTIONS", "SUSPENDED"));
            ready.stream().limit(room).forEach(e -> r.add(List.of(e.getKey(), e.getValue().path("waiting").asText(),
                    e.getValue().path("connections").asText(), e.getValue().path("suspended").asText("-"))));
            var buffer = new java.io.StringWriter();
            var pw = new PrintWriter(buffer);
            lines.forEach(pw::println);
            Table.print(pw, t);
            if (sched.size() > room) {
                pw.println("… and " + (sched.size() - room) + " more");
            }
            pw.println();
            Table.print(pw, r);
            if (ready.size() > room) {
                pw.println("… and " + (ready.size() - room) + " more");
            }
            pw.flush();
            return "\u001b[H\u001b[2J" + buffer.toString().replace("\n", "\r\n");
        }

        /** A metric's value summed over its labels (KumoMTA's JSON: a number, {label: {v: n}}, or [{…, "@": n}]). */
        static double sum(JsonNode value) {
            if (value.isNumber()) {
                return value.asDouble();
            }
            double s = 0;
            if (value.isArray()) {
                for (JsonNode v : value) {
                    s += v.path("@").asDouble();
                }
            } else if (value.isObject()) {
                for (JsonNode byLabel : value) {
                    for (JsonNode v : byLabel) {
                        s += v.asDouble();
                    }
                }
            }
            return s;
        }
    }

    /**
     * The terminal in non-canonical mode (keys arrive without Enter, not echoed), through {@code stty} on
     * {@code /dev/tty}, whose keys are read from {@code /dev/tty} too (not from standard input, which may be
     * elsewhere); restored on exit, after which nothing more is drawn. Without a terminal (output to a pipe), keys
     * are not read.
     */
    static final class Terminal {
        private final String saved;
        private final java.io.InputStream keys;
        private boolean restored;

        private Terminal(String saved, java.io.InputStream keys) {
            this.saved = saved;
            this.keys = keys;
        }

        static Terminal raw() {
            java.io.File tty = new java.io.File("/dev/tty");
            if (System.console() == null || !tty.canRead()) {
                return new Terminal(null, null);
            }
            String saved = stty("-g");
            if (saved == null) {
                return new Terminal(null, null);
            }
            java.io.InputStream keys;
            try {
                keys = new java.io.FileInputStream(tty);
            } catch (java.io.IOException e) {
                return new Terminal(null, null);
            }
            if (stty("-icanon", "-echo", "min", "0", "time", "0") == null) {
                closeQuietly(keys);
                return new Terminal(null, null);
            }
            return new Terminal(saved.strip(), keys);
        }

        int rows() {
            if (saved != null) {
                String size = stty("size");
                if (size != null && size.strip().matches("\\d+ \\d+")) {
                    return Integer.parseInt(size.strip().split(" ")[0]);
                }
            }
            return 24;
        }

        /** True when q (or Q) was typed since the last look; never blocks. */
        boolean quitPressed() {
            if (keys == null) {
                return false;
            }
            try {
                while (keys.available() > 0) {
                    int c = keys.read();
                    if (c == 'q' || c == 'Q') {
                        return true;
                    }
                }
            } catch (java.io.IOException e) {
                return false;
            }
            return false;
        }

        /** Draws {@code screen} unless the terminal was restored meanwhile (then false: nothing is drawn). */
        synchronized boolean write(PrintWriter out, String screen) {
            if (restored) {
                return false;
            }
            out.print(screen);
            out.flush();
            return true;
        }

        synchronized void restore() {
            if (saved != null && !restored) {
                stty(saved);
                closeQuietly(keys);
                System.out.print("\r\n");
                System.out.flush();
            }
            restored = true;
        }

        private static void closeQuietly(java.io.InputStream in) {
            try {
                in.close();
            } catch (java.io.IOException e) {
                // the process ends
            }
        }

        private static String stty(String... args) {
            List<String> cmd = new ArrayList<>(List.of("stty"));
            cmd.addAll(List.of(args));
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(new java.io.File("/dev/tty"))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return p.waitFor() == 0 ? out : null;
            } catch (java.io.IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
