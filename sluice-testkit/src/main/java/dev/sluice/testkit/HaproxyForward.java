package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * HAProxy as a forward proxy driven by PROXY v2 headers (test-peers-files/haproxy-forward.cfg): it
 * connects to the header's destination, from the header's source IP. {@code haproxy -db -f CFG}.
 */
public final class HaproxyForward extends Peer {
    private final Path config;

    private HaproxyForward(PeerSpec spec, Path config) {
        super(spec);
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static HaproxyForward start() {
        return builder().start();
    }

    public Path config() { return config; }

    public static final class Builder extends PeerBuilder<Builder> {
        private boolean keepSourcePort;

        /** {@code usesrc client} instead of {@code usesrc clientip}: keep the header's source port too. */
        public Builder keepSourcePort(boolean keep) {
            this.keepSourcePort = keep;
            return this;
        }

        public HaproxyForward start() {
            int p = resolvePort();
            Path cfg = PeerLogs.dir().resolve(PeerLogs.uniqueName("haproxy") + ".cfg");
            try {
                Files.writeString(cfg, config(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new HaproxyForward(new PeerSpec("haproxy", List.of("haproxy", "-db", "-f", cfg.toString()), host,
                    p, namespace, Map.of(), null, Readiness.portOpen(), startTimeout), cfg);
        }

        private String config(int p) {
            return """
                    global
                        log stderr format raw local0 info
                        maxconn 256
                    defaults
                        mode tcp
                        log global
                        option tcplog
                        timeout connect 5s
                        timeout client 10s
                        timeout server 10s
                    frontend fwd
                        bind %s accept-proxy
                        default_backend transparent
                    backend transparent
                        server v4 0.0.0.0 source 0.0.0.0 usesrc %s
                    """.formatted(Net.hostPort(host, p), keepSourcePort ? "client" : "clientip");
        }
    }
}
