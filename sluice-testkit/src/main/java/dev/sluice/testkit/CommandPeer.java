package dev.sluice.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Any other long-running program as a peer (python http.server, socat, ...): the command is built from
 * the chosen port, and readiness is a connect probe unless a log line is given.
 */
public final class CommandPeer extends Peer {
    private CommandPeer(PeerSpec spec) {
        super(spec);
    }

    /** @param command builds the argv from the port picked (or given), e.g. {@code p -> List.of("socat", ...)} */
    public static Builder builder(String name, IntFunction<List<String>> command) {
        return new Builder(name, command);
    }

    public static final class Builder extends PeerBuilder<Builder> {
        private final String name;
        private final IntFunction<List<String>> command;
        private final Map<String, String> env = new HashMap<>();
        private Readiness readiness = Readiness.portOpen();
        private Path workDir;

        private Builder(String name, IntFunction<List<String>> command) {
            this.name = name;
            this.command = command;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Ready when an output line matches (find) instead of when the port accepts. */
        public Builder readyWhen(String regex) {
            this.readiness = Readiness.logLine(regex);
            return this;
        }

        public CommandPeer start() {
            int p = resolvePort();
            return new CommandPeer(new PeerSpec(name, new ArrayList<>(command.apply(p)), host, p, namespace, env,
                    workDir, readiness, startTimeout));
        }
    }
}
