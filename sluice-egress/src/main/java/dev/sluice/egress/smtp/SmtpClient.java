package dev.sluice.egress.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;

/**
 * Starts an SMTP session on a channel some Connector already connected (directly or through a proxy).
 *
 * <p>The channel must have an empty pipeline (anything a proxy handshake added removed) and should have
 * {@code AUTO_READ} off until {@code open} is called: bytes read before the client's handlers are installed
 * would be lost. Bytes a proxy handshake read beyond its own reply (the start of the banner) are passed
 * as {@code leftover}. {@code open} turns auto-read on.
 *
 * <p>All futures of this package complete on the channel's event loop: dependent stages must not block.
 */
public final class SmtpClient {
    private SmtpClient() {}

    public static CompletableFuture<SmtpConnection> open(Channel channel, SmtpClientOptions options) {
        return open(channel, options, null);
    }

    /**
     * Reads the banner, says EHLO (HELO after a 5xx), does STARTTLS as {@code options.enableTls()} says.
     * Fails with {@link SmtpOpenException} (the channel then closed).
     */
    public static CompletableFuture<SmtpConnection> open(Channel channel, SmtpClientOptions options, ByteBuf leftover) {
        CompletableFuture<SmtpConnection> result = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            try {
                SmtpWire wire = SmtpWire.install(channel);
                new SessionHandshake(wire, options).run().whenComplete((c, e) -> {
                    if (e == null) {
                        c.armIdleTimer();
                        result.complete(c);
                    } else {
                        channel.close();
                        result.completeExceptionally(SessionHandshake.asOpenException(e));
                    }
                });
                wire.feed(leftover); // after run(): the banner expectation is registered
                channel.config().setAutoRead(true);
                channel.read();
            } catch (RuntimeException e) {
                channel.close();
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}
