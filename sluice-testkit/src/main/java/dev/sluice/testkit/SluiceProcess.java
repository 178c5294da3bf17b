package dev.sluice.testkit;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code bin/sluice <args>} from the repository root with {@code SLUICE_NO_BUILD=1} and reads its
 * output for the contract lines {@code <kind> listener on HOST:PORT} (e.g. "proxy", "http") and
 * {@code initialization complete}. The root comes from system property {@code sluice.home}, else the
 * nearest directory above user.dir that holds {@code bin/sluice}.
 */
public final class SluiceProcess extends Peer {
    public static final String READY_LINE = "initialization complete";
    private static final Pattern LISTENER = Pattern.compile("(\\S+) listener(?: \\(TLS\\))? on (\\S+):(\\d+)");
    private static final long POLL_MILLIS = 50;

    private SluiceProcess(PeerSpec spec) {
        super(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code bin/sluice args...}, waiting for "initialization complete". */
    public static SluiceProcess start(String... args) {
        return builder().args(args).start();
    }

    /** The repository root holding bin/sluice. */
    public static Path home() {
        String prop = System.getProperty("sluice.home");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath();
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("bin/sluice"))) return d;
        }
        throw new IllegalStateException("no bin/sluice above " + dir + "; set -Dsluice.home=<repo root>");
    }

    /** Listeners announced so far, by kind ("proxy", "http", ...), first announcement wins. */
    public Map<String, InetSocketAddress> listeners() {
        Map<String, InetSocketAddress> found = new LinkedHashMap<>();
        Matcher m = LISTENER.matcher(logText());
        while (m.find()) {
            String host = m.group(2);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            found.putIfAbsent(m.group(1), new InetSocketAddress(Net.inet(host), Integer.parseInt(m.group(3))));
        }
        return found;
    }

    public Optional<InetSocketAddress> listener(String kind) {
        return Optional.ofNullable(listeners().get(kind));
    }

    /** The address from "proxy listener on ...". */
    public InetSocketAddress proxyListener() {
        return listener("proxy").orElseThrow(() -> new IllegalStateException("no proxy listener line; " + describe()));
    }

    /** The address from "http listener on ...". */
    public InetSocketAddress httpListener() {
        return listener("http").orElseThrow(() -> new IllegalStateException("no http listener line; " + describe()));
    }

    public boolean initialized() {
        return logText().contains(READY_LINE);
    }

    /** Output lines so far (stdout and stderr interleaved). */
    public List<String> lines() {
        return logText().lines().toList();
    }

    /** Waits until an output line matches (find) the regex and returns that line. */
    public String awaitLine(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            for (String line : lines()) {
                if (p.matcher(line).find()) return line;
            }
            if (!isAlive()) break;
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("no line matching /" + regex + "/ (alive=" + isAlive() + "); " + describe()
                + "\n" + PeerLogs.tail(log(), 40));
    }

    /** Host of the proxy listener, else of the first listener, else the spec's. */
    @Override
    public String host() {
        return primary().map(a -> a.getAddress().getHostAddress()).orElse(super.host());
    }

    @Override
    public int port() {
        return primary().map(InetSocketAddress::getPort).orElse(super.port());
    }

    private Optional<InetSocketAddress> primary() {
        Map<String, InetSocketAddress> all = listeners();
        return Optional.ofNullable(all.getOrDefault("proxy", all.values().stream().findFirst().orElse(null)));
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new HashMap<>();
        private Path home;
        private Path workDir;
        private Readiness readiness = Readiness.logLine(Pattern.quote(READY_LINE));

        public Builder args(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        public Builder args(List<String> more) {
            args.addAll(more);
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** Repository root to use instead of {@link SluiceProcess#home()}. */
        public Builder home(Path home) {
            this.home = home;
            return this;
        }

        /** Working directory (default: the repository root). */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Wait for a different line than "initialization complete" (regex, find). */
        public Builder readyWhen(String regex) {
            this.readiness = Readiness.logLine(regex);
            return this;
        }

        public SluiceProcess start() {
            Path root = home != null ? home : SluiceProcess.home();
            List<String> cmd = new ArrayList<>();
            cmd.add(root.resolve("bin/sluice").toString());
            cmd.addAll(args);
            Map<String, String> fullEnv = new HashMap<>(env);
            fullEnv.putIfAbsent("SLUICE_NO_BUILD", "1");
            return new SluiceProcess(new PeerSpec("sluice", cmd, host, port, namespace, fullEnv,
                    workDir != null ? workDir : root, readiness, startTimeout));
        }
    }
}
