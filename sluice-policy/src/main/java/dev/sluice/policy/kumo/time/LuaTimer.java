package dev.sluice.policy.kumo.time;

import dev.sluice.policy.LuaObject;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ObjDoubleConsumer;

/**
 * {@code kumo.time.start_timer(label)}: {@code timer:done()} returns the seconds since the start and, the first
 * time, records them in the {@code user_lua_latency{label}} histogram; a {@code local t <close> = ...} variable
 * calls {@code done} when it goes out of scope.
 */
final class LuaTimer implements LuaObject {
    private final String label;
    private final long started = System.nanoTime();
    private final ObjDoubleConsumer<String> latency;
    private final AtomicBoolean recorded = new AtomicBoolean();

    LuaTimer(String label, ObjDoubleConsumer<String> latency) {
        this.label = label;
        this.latency = latency;
    }

    @Override
    public String typeName() {
        return "Timer";
    }

    @Override
    public String display() {
        return "Timer(" + label + ")";
    }

    @Override
    public Object index(Object key) {
        return "done".equals(key) ? LuaObject.method(this, a -> done()) : null;
    }

    @Override
    public void closed() {
        done();
    }

    private double done() {
        double seconds = (System.nanoTime() - started) / 1e9;
        if (recorded.compareAndSet(false, true)) {
            latency.accept(label, seconds);
        }
        return seconds;
    }
}
