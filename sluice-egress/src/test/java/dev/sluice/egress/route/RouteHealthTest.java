package dev.sluice.egress.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RouteHealthTest {
    private final AtomicLong now = new AtomicLong();
    private final RouteHealth routes = new RouteHealth(Duration.ofMinutes(5), now::get);
    private final InetSocketAddress a = new InetSocketAddress("127.0.0.2", 1080);
    private final InetSocketAddress b = new InetSocketAddress("127.0.0.3", 1080);
    private final InetSocketAddress c = new InetSocketAddress("127.0.0.4", 1080);

    @Test
    void recentlyFailedGoLastUntilSuccessOrTimeForgetsThem() {
        assertThat(routes.order(List.of(a, b, c))).containsExactly(a, b, c);
        routes.failed(a);
        assertThat(routes.order(List.of(a, b, c))).containsExactly(b, c, a);
        routes.succeeded(a);
        assertThat(routes.order(List.of(a, b, c))).containsExactly(a, b, c);
        routes.failed(b);
        now.addAndGet(Duration.ofMinutes(6).toNanos());
        assertThat(routes.order(List.of(a, b, c))).containsExactly(a, b, c);
    }
}
