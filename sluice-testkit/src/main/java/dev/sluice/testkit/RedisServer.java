package dev.sluice.testkit;

import java.util.List;
import java.util.Map;

/**
 * {@code redis-server} (Debian's) on a loopback port, without persistence: {@code redis-server --bind HOST --port PORT
 * --save '' --appendonly no}. A test that kills it and starts another on the same {@link #port} gets an empty one.
 */
public final class RedisServer extends Peer {
    private RedisServer(PeerSpec spec) {
        super(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static RedisServer start() {
        return builder().start();
    }

    /** {@code redis://HOST:PORT/}. */
    public String url() {
        return "redis://" + hostPort() + "/";
    }

    public static final class Builder extends PeerBuilder<Builder> {
        public RedisServer start() {
            int p = resolvePort();
            List<String> cmd = List.of("redis-server", "--bind", host, "--port", Integer.toString(p), "--save", "",
                    "--appendonly", "no", "--protected-mode", "no");
            return new RedisServer(new PeerSpec("redis-server", cmd, host, p, namespace, Map.of(), null,
                    Readiness.portOpen(), startTimeout));
        }
    }
}
