package dev.sluice.egress.nats;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to reach a NATS server: the parts of {@code kumo.nats.connect{...}} that Sluice acts on.
 *
 * @param servers           {@code host:port} or {@code nats://host:port}, tried in this order until one answers
 * @param name              the client name the server shows, or null
 * @param user              user name, or null
 * @param password          password (with {@code user}), or null
 * @param token             authentication token, or null
 * @param echo              whether the server sends our own messages back to our subscriptions
 * @param connectTimeout    bound on TCP connect plus the INFO/CONNECT/PING/PONG handshake, per server
 * @param requestTimeout    bound on waiting for a JetStream acknowledgement
 * @param inboxPrefix       prefix of the reply subjects acknowledgements come back on
 */
public record NatsOptions(List<String> servers, String name, String user, String password, String token,
                          boolean echo, Duration connectTimeout, Duration requestTimeout, String inboxPrefix) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final String DEFAULT_INBOX_PREFIX = "_INBOX";

    public NatsOptions {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) throw new IllegalArgumentException("servers must list at least one NATS server");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(inboxPrefix, "inboxPrefix");
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("give both username and password, or neither");
        }
    }

    /** Only the servers; everything else as KumoMTA's defaults. */
    public static NatsOptions of(List<String> servers) {
        return new NatsOptions(servers, null, null, null, null, true, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT, DEFAULT_INBOX_PREFIX);
    }
}
