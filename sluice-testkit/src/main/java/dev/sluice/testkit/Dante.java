package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Dante SOCKS5 server ({@code danted -f CONF}) without authentication, as in test-peers-files/danted.conf.
 * It forks workers; {@link #stop()} kills the main PID and waits until the workers are gone too.
 */
public final class Dante extends Peer {
    private final Path config;

    private Dante(PeerSpec spec, Path config) {
        super(spec);
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static Dante start() {
        return builder().start();
    }

    public Path config() { return config; }

    public static final class Builder extends PeerBuilder<Builder> {
        private final List<String> destinations = new ArrayList<>(List.of("127.0.0.0/8", "::1/128"));
        private String external = "lo";

        /** Also allow CONNECT to this network (default: 127.0.0.0/8 and ::1/128 only). */
        public Builder allowDestination(String cidr) {
            destinations.add(cidr);
            return this;
        }

        /** Interface or address for outgoing connections ({@code external:}); default lo. */
        public Builder external(String external) {
            this.external = external;
            return this;
        }

        public Dante start() {
            int p = resolvePort();
            Path conf = PeerLogs.dir().resolve(PeerLogs.uniqueName("danted") + ".conf");
            try {
                Files.writeString(conf, config(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Dante(new PeerSpec("danted", List.of("danted", "-f", conf.toString()), host, p, namespace,
                    Map.of(), null, Readiness.portOpen(), startTimeout), conf);
        }

        // Rules must span several lines: dante rejects one-line rules with "syntax error near token l".
        private String config(int p) {
            StringBuilder c = new StringBuilder();
            c.append("logoutput: stderr\n");
            c.append("internal: ").append(host).append(" port = ").append(p).append('\n');
            c.append("external: ").append(external).append('\n');
            c.append("clientmethod: none\nsocksmethod: none\n");
            c.append("user.privileged: root\nuser.unprivileged: nobody\n\n");
            c.append("client pass {\n    from: 0/0 to: 0/0\n    log: error connect disconnect\n}\n");
            for (String d : destinations) {
                c.append("socks pass {\n    from: 0/0 to: ").append(d)
                        .append("\n    command: connect\n    log: error connect disconnect\n}\n");
            }
            c.append("socks block {\n    from: 0/0 to: 0/0\n    log: error connect\n}\n");
            return c.toString();
        }
    }
}
