package dev.sluice.mta.admin;

import dev.sluice.mta.log.LogRecord;
import dev.sluice.net.http.WebSocketEndpoint;
import dev.sluice.net.http.WebSocketSession;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console's live side ({@link ConsoleRoutes}): the last {@link #CAPACITY} log records in memory (fed by
 * {@code LogWriters.watch}), and the websocket sessions of open console pages. Once a {@link #TICK} each session is
 * sent {@code {"type": "tick", "records": [...]}} with the records logged since its last tick (on open, the last
 * {@link #BACKLOG}); the page then reads the admin routes' JSON again (queues, suspensions, metrics), so the console
 * shows nothing those routes do not say. {@link #start} starts the one timer thread ({@code mta-console}),
 * {@link #close} stops it and closes the sessions.
 */
public final class Console implements Consumer<LogRecord>, WebSocketEndpoint, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    /** Log records kept in memory. */
    public static final int CAPACITY = 1000;
    /** Records a page gets when it opens. */
    public static final int BACKLOG = 200;
    /** How often pages are told to refresh, with the records since the last tick. */
    public static final Duration TICK = Duration.ofSeconds(1);

    private record Numbered(long seq, LogRecord record) {}

    private final ArrayDeque<Numbered> records = new ArrayDeque<>(); // guarded by itself
    private long next; // guarded by records
    /** Each open page and the number of the first record it has not been sent. */
    private final Map<WebSocketSession, Long> sessions = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer; // guarded by this

    /** A record was logged (on the logging thread: only added to memory). */
    @Override
    public void accept(LogRecord record) {
        synchronized (records) {
            records.addLast(new Numbered(next++, record));
            if (records.size() > CAPACITY) {
                records.removeFirst();
            }
        }
    }

    /** The records numbered {@code from} on, at most {@code limit} of the newest; and the number after the last. */
    private List<String> since(long from, int limit, long[] end) {
        List<Numbered> picked = new ArrayList<>();
        synchronized (records) {
            end[0] = next;
            for (var it = records.descendingIterator(); it.hasNext() && picked.size() < limit; ) {
                Numbered n = it.next();
                if (n.seq() < from) {
                    break;
                }
                picked.add(n);
            }
        }
        List<String> json = new ArrayList<>(picked.size());
        for (int i = picked.size() - 1; i >= 0; i--) {
            json.add(picked.get(i).record().toJson());
        }
        return json;
    }

    /** Starts the tick timer. At most once. */
    public synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mta-console").daemon().factory());
        timer.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            sessions.forEach((session, from) -> send(session, from, Integer.MAX_VALUE));
        } catch (RuntimeException e) {
            LOG.warn("console tick failed: {}", e.toString());
        }
    }

    private void send(WebSocketSession session, long from, int limit) {
        if (!session.isOpen()) {
            sessions.remove(session);
            return;
        }
        long[] end = new long[1];
        List<String> json = since(from, limit, end);
        sessions.replace(session, end[0]);
        session.send("{\"type\":\"tick\",\"records\":[" + String.join(",", json) + "]}");
    }

    @Override
    public void onOpen(WebSocketSession session) {
        sessions.put(session, 0L);
        send(session, 0, BACKLOG);
    }

    @Override
    public void onClose(WebSocketSession session) {
        sessions.remove(session);
    }

    /** How many console pages are open. */
    public int pages() {
        return sessions.size();
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        sessions.keySet().forEach(WebSocketSession::close);
        sessions.clear();
    }
}
