package dev.sluice.policy.kumo.runtime;

import dev.sluice.policy.CallDeadline;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.LuaArgs;
import dev.sluice.policy.kumo.memoize.Memoizable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A named multi-producer single-consumer queue ({@code kumo.mpsc.define}), shared by every Lua state of the policy
 * and its tasks. Values are copied in (memoizable values only) and out. Methods as KumoMTA documents them:
 * {@code send} (waits for room when bounded), {@code send_timeout(v, seconds)}, {@code try_send} (false when full
 * or closed), {@code recv} (waits; nil once closed and empty), {@code try_recv}, {@code recv_many(n)} (waits for at
 * least one; nil once closed and empty), {@code len}, {@code is_empty}, {@code close}, {@code is_closed}. The
 * receiving methods, {@code len} and {@code is_empty} belong to one consumer at a time: a second one calling while
 * the first waits gets an error. A waiting call ends with an error when the MTA stops (its thread is interrupted).
 * Waiting belongs in a task ({@code kumo.spawn_task}): in an ordinary event a wait fails at the call's time limit.
 */
final class MpscQueue implements LuaObject {
    /** ArrayDeque refuses null: a sent nil is kept as this. */
    private enum Nil { NIL }

    private final String name;
    private final long limit; // 0: unbounded
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Object> items = new ArrayDeque<>(); // guarded by lock
    private boolean closed; // guarded by lock
    private final ReentrantLock consumer = new ReentrantLock();

    MpscQueue(String name, long limit) {
        this.name = name;
        this.limit = limit;
    }

    @Override
    public String typeName() {
        return "MpscQueue";
    }

    @Override
    public String display() {
        return "MpscQueue(" + name + ")";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "send" -> LuaObject.method(this, a -> {
                send(value(a), Long.MAX_VALUE);
                return null;
            });
            case "send_timeout" -> LuaObject.method(this, a -> {
                send(value(a), LuaArgs.secondsAsNanos(a, 1, "queue:send_timeout"));
                return null;
            });
            case "try_send" -> LuaObject.method(this, a -> trySend(value(a)));
            case "recv" -> LuaObject.method(this, a -> {
                List<Object> one = receive(1, true);
                return one == null ? null : one.getFirst();
            });
            case "try_recv" -> LuaObject.method(this, a -> {
                List<Object> one = receive(1, false);
                return one == null || one.isEmpty() ? null : one.getFirst();
            });
            case "recv_many" -> LuaObject.method(this, a -> {
                long n = LuaArgs.integer(a, 0, "queue:recv_many");
                if (n < 1) {
                    throw new ConfigException("queue:recv_many: limit must be at least 1, got " + n);
                }
                return receive(n, true);
            });
            case "len" -> LuaObject.method(this, a -> asConsumer(() -> (long) size()));
            case "is_empty" -> LuaObject.method(this, a -> asConsumer(() -> size() == 0));
            case "close" -> LuaObject.method(this, a -> {
                close();
                return null;
            });
            case "is_closed" -> LuaObject.method(this, a -> isClosed());
            default -> null;
        };
    }

    private Object value(List<Object> args) {
        Object v = LuaArgs.get(args, 0);
        Memoizable.check(v, "mpsc queue '" + name + "': the value");
        return v == null ? Nil.NIL : v;
    }

    private void send(Object v, long timeoutNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long end = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
            while (!closed && limit > 0 && items.size() >= limit) {
                long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : end - System.nanoTime();
                if (left <= 0) {
                    throw new ConfigException("mpsc queue '" + name + "': no room within the timeout (" + limit + " items)");
                }
                await(notFull, left);
            }
            if (closed) {
                throw new ConfigException("mpsc queue '" + name + "' is closed");
            }
            items.add(v);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    private boolean trySend(Object v) {
        lock.lock();
        try {
            if (closed || (limit > 0 && items.size() >= limit)) {
                return false;
            }
            items.add(v);
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code max} items; waits for one if {@code wait}; null once closed and empty. */
    private List<Object> receive(long max, boolean wait) throws Exception {
        return asConsumer(() -> {
            lock.lockInterruptibly();
            try {
                while (wait && items.isEmpty() && !closed) {
                    await(notEmpty, Long.MAX_VALUE);
                }
                if (items.isEmpty()) {
                    return closed || wait ? null : List.of();
                }
                List<Object> batch = new ArrayList<>();
                while (!items.isEmpty() && batch.size() < max) {
                    Object v = items.poll();
                    batch.add(v == Nil.NIL ? null : v);
                }
                notFull.signalAll();
                return batch;
            } finally {
                lock.unlock();
            }
        });
    }

    /**
     * Waits on {@code condition} (lock held) up to {@code nanos}, and never past the running policy call's limit:
     * a wait that reaches it fails (in an event; tasks have no limit).
     */
    private void await(Condition condition, long nanos) throws InterruptedException {
        long bound = Math.min(nanos, CallDeadline.remainingNanos());
        if (bound == Long.MAX_VALUE) {
            condition.await();
            return;
        }
        if (bound > 0) {
            condition.awaitNanos(bound);
        }
        if (CallDeadline.remainingNanos() <= 0) {
            throw new ConfigException(CallDeadline.overrun() + " waiting for mpsc queue '" + name
                    + "' (wait for a queue in a task: kumo.spawn_task)");
        }
    }

    private <T> T asConsumer(java.util.concurrent.Callable<T> body) throws Exception {
        if (!consumer.tryLock(0, TimeUnit.NANOSECONDS)) {
            throw new ConfigException("mpsc queue '" + name + "': another task is receiving from it (one consumer at a time)");
        }
        try {
            return body.call();
        } finally {
            consumer.unlock();
        }
    }

    private int size() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
