package dev.sluice.testkit;

import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A listener for the JDK's websocket client that collects the text messages a server sends (fragments joined)
 * and notices the close, for tests that drive a websocket route.
 */
public final class WebSocketTexts implements WebSocket.Listener {
    private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            texts.add(partial.toString());
            partial.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
        closed.countDown();
        return null;
    }

    /** The next text message, waiting up to {@code wait}; fails the test when none comes. */
    public String next(Duration wait) throws InterruptedException {
        String text = texts.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (text == null) {
            throw new AssertionError("no websocket message within " + wait);
        }
        return text;
    }

    /** The messages received and not yet taken by {@link #next}. */
    public BlockingQueue<String> pending() {
        return texts;
    }

    /** Whether the server closed the websocket within {@code wait}. */
    public boolean awaitClose(Duration wait) throws InterruptedException {
        return closed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    }
}
