package dev.sluice.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * TCP keepalive settings. Dead peers during a long relay are only reaped by these probes, so both
 * proxy sockets get them. {@code enabled=false} leaves the kernel defaults untouched.
 */
public record TcpKeepalive(boolean enabled, Duration time, Duration interval, int retries) {
    public static final TcpKeepalive DEFAULT = new TcpKeepalive(true, Duration.ofMinutes(5), Duration.ofSeconds(30), 3);
    public static final TcpKeepalive DISABLED = new TcpKeepalive(false, DEFAULT.time, DEFAULT.interval, DEFAULT.retries);

    public TcpKeepalive {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(interval, "interval");
        if (time.toSeconds() < 1 || interval.toSeconds() < 1) {
            throw new IllegalArgumentException("keepalive time and interval must be at least one second");
        }
        if (retries < 1) {
            throw new IllegalArgumentException("keepalive retries must be at least 1");
        }
    }

    /** Applies the settings to a socket channel; the per-socket timings need the epoll transport. */
    public void applyTo(Channel channel) {
        if (!enabled) {
            return;
        }
        channel.config().setOption(ChannelOption.SO_KEEPALIVE, true);
        if (channel instanceof EpollSocketChannel) {
            channel.config().setOption(EpollChannelOption.TCP_KEEPIDLE, (int) time.toSeconds());
            channel.config().setOption(EpollChannelOption.TCP_KEEPINTVL, (int) interval.toSeconds());
            channel.config().setOption(EpollChannelOption.TCP_KEEPCNT, retries);
        }
    }
}
