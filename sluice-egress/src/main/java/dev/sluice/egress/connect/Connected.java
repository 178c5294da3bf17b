package dev.sluice.egress.connect;

import io.netty.channel.Channel;

/**
 * A connection ready for SMTP. The channel's autoRead is off and nothing has been read past the proxy
 * handshake: add the SMTP handlers, then call {@link #resume()}. Until then the pipeline holds only the
 * TLS handler to the proxy (when the hop uses TLS) and a holder for bytes that arrived together with the
 * handshake's last reply; {@code resume()} removes the holder (replaying those bytes) and turns autoRead on.
 */
public record Connected(Channel channel, SourceAddress source) {
    static final String HOLD = "egress-hold";

    /** Starts reading: replays held bytes to the handlers added since, then reads normally. */
    public void resume() {
        channel.eventLoop().execute(() -> {
            if (channel.pipeline().get(HOLD) != null) {
                channel.pipeline().remove(HOLD);
            }
            channel.config().setAutoRead(true);
        });
    }
}
