package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code nats-server} on a loopback port: {@code nats-server -a HOST -p PORT [-js -sd DIR] [--user U --pass P |
 * --auth TOKEN]}, JetStream's store in a fresh directory under the peer logs.
 */
public final class NatsServer extends Peer {
    private NatsServer(PeerSpec spec) {
        super(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private boolean jetStream;
        private final List<String> auth = new ArrayList<>();

        /** Enables JetStream ({@code -js}) with a store directory of its own. */
        public Builder jetStream() {
            jetStream = true;
            return this;
        }

        /** Requires this user and password of every client. */
        public Builder user(String user, String password) {
            auth.addAll(List.of("--user", user, "--pass", password));
            return this;
        }

        /** Requires this token of every client. */
        public Builder token(String token) {
            auth.addAll(List.of("--auth", token));
            return this;
        }

        public NatsServer start() {
            int p = resolvePort();
            List<String> cmd = new ArrayList<>(List.of("nats-server", "-a", host, "-p", Integer.toString(p)));
            if (jetStream) {
                try {
                    cmd.addAll(List.of("-js", "-sd", Files.createTempDirectory(PeerLogs.dir(), "nats-js").toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            cmd.addAll(auth);
            return new NatsServer(new PeerSpec("nats-server", cmd, host, p, namespace, Map.of(), null,
                    Readiness.portOpen(), startTimeout));
        }
    }
}
