package dev.sluice.testkit;

import java.time.Duration;

/** Options every peer shares: where it listens, which namespace, how long to wait for it. */
public abstract class PeerBuilder<B extends PeerBuilder<B>> {
    protected String host = "127.0.0.1";
    protected int port;
    protected NetNamespace namespace;
    protected Duration startTimeout = PeerSpec.DEFAULT_START_TIMEOUT;

    /** Listen address (IP literal). Default 127.0.0.1. */
    public B host(String host) {
        this.host = host;
        return self();
    }

    /** Listen port; 0 (default) picks a free ephemeral port. */
    public B port(int port) {
        this.port = port;
        return self();
    }

    /** Run the peer inside this namespace (host must exist there). */
    public B namespace(NetNamespace namespace) {
        this.namespace = namespace;
        return self();
    }

    public B startTimeout(Duration timeout) {
        this.startTimeout = timeout;
        return self();
    }

    /** The port to use: the given one, or a free one (any port is free in a fresh namespace). */
    protected int resolvePort() {
        if (port != 0) return port;
        return namespace == null ? FreePorts.tcp(host) : FreePorts.tcp("127.0.0.1");
    }

    @SuppressWarnings("unchecked")
    protected B self() {
        return (B) this;
    }
}
