package dev.sluice.mta.ingress.smtp;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open sessions per client address of one listener, for {@code max_connections_per_ip} (Postfix's
 * smtpd_client_connection_count_limit). Shared by the listener's event loops.
 */
final class ClientConnectionCounts {
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    /** Counts one more session from {@code client} unless it already has {@code limit}; false then. */
    boolean tryOpen(InetAddress client, int limit) {
        boolean[] opened = {false};
        open.compute(client, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= limit) {
                return n;
            }
            opened[0] = true;
            return count + 1;
        });
        return opened[0];
    }

    /** Counts one session from {@code client} as closed. */
    void close(InetAddress client) {
        open.computeIfPresent(client, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** Sessions open from {@code client} right now. */
    int openFrom(InetAddress client) {
        return open.getOrDefault(client, 0);
    }
}
