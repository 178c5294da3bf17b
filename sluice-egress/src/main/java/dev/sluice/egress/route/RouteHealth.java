package dev.sluice.egress.route;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Remembers transport addresses (proxy candidates) that failed recently, so the next attempt tries them
 * last, like OkHttp's RouteDatabase. A success forgets the failure; so does time ({@code memory}).
 */
public final class RouteHealth {
    public static final Duration DEFAULT_MEMORY = Duration.ofMinutes(5);

    private final Map<InetSocketAddress, Long> failedAt = new ConcurrentHashMap<>();
    private final long memoryNanos;
    private final LongSupplier nanoTime;

    public RouteHealth() {
        this(DEFAULT_MEMORY, System::nanoTime);
    }

    public RouteHealth(Duration memory, LongSupplier nanoTime) {
        this.memoryNanos = memory.toNanos();
        this.nanoTime = nanoTime;
    }

    public void failed(InetSocketAddress address) {
        failedAt.put(address, nanoTime.getAsLong());
    }

    public void succeeded(InetSocketAddress address) {
        failedAt.remove(address);
    }

    /** True while {@code address} failed within the memory window. */
    public boolean recentlyFailed(InetSocketAddress address) {
        Long at = failedAt.get(address);
        if (at == null) return false;
        if (nanoTime.getAsLong() - at > memoryNanos) {
            failedAt.remove(address, at);
            return false;
        }
        return true;
    }

    /** The candidates in their order, those that failed recently moved to the end (keeping their order). */
    public List<InetSocketAddress> order(List<InetSocketAddress> candidates) {
        List<InetSocketAddress> good = new ArrayList<>();
        List<InetSocketAddress> bad = new ArrayList<>();
        for (InetSocketAddress c : candidates) {
            (recentlyFailed(c) ? bad : good).add(c);
        }
        good.addAll(bad);
        return List.copyOf(good);
    }
}
