package dev.sluice.proxy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Live sessions of a server, so shutdown can wait for them and then close the rest. */
final class SessionRegistry {
    private final Set<Session> live = ConcurrentHashMap.newKeySet();

    void add(Session s) {
        live.add(s);
    }

    void remove(Session s) {
        live.remove(s);
    }

    int size() {
        return live.size();
    }

    /** Ends every session that has not reached its relay yet. */
    void abortHandshakes(String reason) {
        for (Session s : live) {
            s.abortHandshake(reason);
        }
    }

    void abortAll(String reason) {
        for (Session s : live) {
            s.abort(reason);
        }
    }
}
