package dev.sluice.net.http;

/**
 * A websocket route of an {@link HttpServer}: called on the connection's event loop, so do slow work elsewhere.
 * Text messages only (the protocols served here are JSON); binary frames are ignored, pings answered.
 */
public interface WebSocketEndpoint {
    /** The handshake is done; {@code session} may send from now on (from any thread). */
    void onOpen(WebSocketSession session);

    /** A text message from the peer. */
    default void onText(WebSocketSession session, String text) {}

    /** The connection is gone (closed by either side, or failed). Called once. */
    default void onClose(WebSocketSession session) {}
}
