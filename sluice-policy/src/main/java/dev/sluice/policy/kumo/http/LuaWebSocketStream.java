package dev.sluice.policy.kumo.http;

import dev.sluice.policy.CallDeadline;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The stream of {@code kumo.http.connect_websocket}: {@code recv()}, {@code recv_batch(duration)} and (a Sluice
 * addition: KumoMTA's stream has no way to end it) {@code close()}, also run when a {@code <close>} variable holding
 * it goes out of scope. Both receiving methods block the Lua thread; in an event they end with the call's time limit
 * (the call fails as any overrunning call does), in a {@code kumo.spawn_task} task they have no limit. When the
 * policy stops, a waiting call ends with an error and the connection is closed.
 */
final class LuaWebSocketStream implements LuaObject {
    private final WebSocketStream stream;

    LuaWebSocketStream(WebSocketStream stream) {
        this.stream = stream;
    }

    @Override
    public String typeName() {
        return "WebSocketStream";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "recv" -> LuaObject.method(this, args -> recv());
            case "recv_batch" -> LuaObject.method(this, args -> recvBatch(LuaObject.arg(args, 0)));
            case "close" -> LuaObject.method(this, args -> {
                stream.close();
                return null;
            });
            default -> null;
        };
    }

    @Override
    public void closed() {
        stream.close();
    }

    /** The next message (a string), or nil once the server ended the stream with a closing handshake. */
    private Object recv() throws InterruptedException {
        WebSocketStream.Received r;
        try {
            r = stream.next(callLimit());
        } catch (InterruptedException e) {
            throw stopping("recv", e);
        }
        return switch (r) {
            case null -> throw overrun();
            case WebSocketStream.Text t -> t.text();
            case WebSocketStream.Binary b -> new LuaBytes(b.bytes());
            case WebSocketStream.Ended end when end.failed() -> throw new ConfigException("websocket error: " + end.reason());
            case WebSocketStream.Ended end -> null;
        };
    }

    /**
     * Waits the whole {@code duration} (less if the stream ends) and returns every message received meanwhile, as a
     * list (empty when none came); raises when the stream has ended and holds no message. A window that would go past
     * the running call's limit waits until the limit and fails there, leaving the messages for the next call.
     */
    private Object recvBatch(Object duration) throws InterruptedException {
        Duration window;
        try {
            window = Durations.parse(duration);
        } catch (ConfigException e) {
            throw new ConfigException("recv_batch: " + e.getMessage());
        }
        if (window.isNegative()) {
            throw new ConfigException("recv_batch: the duration must not be negative");
        }
        long end = System.nanoTime() + Math.min(window.toNanos(), Long.MAX_VALUE / 2);
        long limit = callLimit();
        try {
            stream.awaitEnd(Math.min(end, limit));
        } catch (InterruptedException e) {
            throw stopping("recv_batch", e);
        }
        if (limit - end < 0 && stream.ended() == null) {
            throw overrun();
        }
        List<WebSocketStream.Received> batch = stream.drain();
        if (batch.isEmpty() && stream.ended() != null) {
            throw new ConfigException("websocket closed: " + stream.ended().reason());
        }
        List<Object> out = new ArrayList<>(batch.size());
        for (WebSocketStream.Received r : batch) {
            out.add(switch (r) {
                case WebSocketStream.Text t -> t.text();
                case WebSocketStream.Binary b -> new LuaBytes(b.bytes());
                case WebSocketStream.Ended e -> throw new IllegalStateException("the end is not a message");
            });
        }
        return out;
    }

    /** The running policy call's limit, or {@link Long#MAX_VALUE} in a task. */
    private static long callLimit() {
        return CallDeadline.nanos().orElse(Long.MAX_VALUE);
    }

    private static ConfigException overrun() {
        return new ConfigException(CallDeadline.overrun()
                + " waiting for a websocket message (read a websocket in a task: kumo.spawn_task)");
    }

    /** The thread was interrupted: the policy is stopping, so the connection goes too. */
    private InterruptedException stopping(String method, InterruptedException e) {
        stream.close();
        InterruptedException stop = new InterruptedException(method + ": interrupted (the policy is stopping)");
        stop.initCause(e);
        return stop;
    }
}
