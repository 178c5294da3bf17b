package dev.sluice.net.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/** One open websocket connection of a {@link WebSocketEndpoint}. Thread-safe. */
public final class WebSocketSession {
    private final Channel channel;
    private final String path;

    WebSocketSession(Channel channel, String path) {
        this.channel = channel;
        this.path = path;
    }

    /** Sends one text message; the future fails when the connection is gone. */
    public Future<Void> send(String text) {
        return channel.writeAndFlush(new TextWebSocketFrame(text));
    }

    /** Closes with a normal close frame. */
    public void close() {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame()).addListener(f -> channel.close());
        }
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    public InetSocketAddress peer() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    public String path() {
        return path;
    }

    @Override
    public String toString() {
        return "websocket " + path + " from " + peer();
    }
}
