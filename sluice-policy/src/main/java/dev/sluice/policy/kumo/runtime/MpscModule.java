package dev.sluice.policy.kumo.runtime;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code kumo.mpsc.define(name, limit?)}: the queue of that name ({@link MpscQueue}), created by the first call
 * (unbounded without a limit); later calls return the same queue whatever limit they pass. Queues live as long as
 * the policy and are not persistent.
 */
public final class MpscModule implements LuaModule {
    private final Map<String, MpscQueue> queues = new ConcurrentHashMap<>();

    @Override
    public void install(Registrar r) {
        r.function("kumo.mpsc", "define", args -> {
            String name = LuaArgs.string(args, 0, "kumo.mpsc.define");
            long limit = 0;
            if (LuaArgs.get(args, 1) != null) {
                limit = LuaArgs.integer(args, 1, "kumo.mpsc.define");
                if (limit < 1) {
                    throw new ConfigException("kumo.mpsc.define: the limit must be a positive integer, got " + limit);
                }
            }
            long bound = limit;
            return queues.computeIfAbsent(name, n -> new MpscQueue(n, bound));
        });
    }

    /** Closes every queue: waiting receivers get nil, senders an error (orderly shutdown). */
    public void closeAll() {
        queues.values().forEach(MpscQueue::close);
    }
}
