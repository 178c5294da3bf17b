package dev.sluice.mta.loghook;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The thread of one hook and the bounded queue in front of it: producers {@link #put} (blocking while
 * {@code capacity} items wait), the thread hands each item to the hook in order. Items still queued at
 * {@link #close} are not handled.
 */
final class HookThread<T> {
    private final BlockingQueue<T> queue;
    private final Consumer<T> handler;
    private final Thread thread;
    private volatile boolean closed;

    /** @param handler runs on the hook's thread; it handles its own failures */
    HookThread(String name, int capacity, Consumer<T> handler) {
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.handler = handler;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Queues one item; blocks while the queue is full. Nothing is queued once closed. */
    void put(T item) throws InterruptedException {
        if (!closed) {
            queue.put(item);
        }
    }

    int backlog() {
        return queue.size();
    }

    private void run() {
        while (!closed) {
            T item;
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            handler.accept(item);
        }
    }

    /** Stops the thread; returns how many items were left unhandled. */
    int close() {
        closed = true;
        thread.interrupt();
        return queue.size();
    }
}
