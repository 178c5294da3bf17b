package dev.sluice.mta.spool;

import dev.sluice.mta.message.MessageId;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The ids in a spool. The writer thread adds an id once its store committed and drops it once its removal did. The
 * ids stored before the spool opened are not read at open (that would grow with the spool before the listeners
 * answer): start-up's walk over the spool reports each as it finds it ({@link #found}) and says when it has seen them
 * all ({@link #allFound}). Until then {@link #size} adds an estimate of those not found yet, and {@link #contains}
 * asks the store itself about an id it has not seen.
 *
 * <p>An id removed while the walk runs is remembered until it ends, so that the walk, which reads what the store held
 * when it began, cannot bring it back.
 */
final class SpoolIds {
    private final Set<MessageId> ids = ConcurrentHashMap.newKeySet();
    private final Predicate<MessageId> stored; // before allFound: whether the store has this id
    private volatile boolean complete;
    private Set<MessageId> removedMeanwhile = new HashSet<>(); // guarded by this; null once complete
    private long notFound; // guarded by this: the estimate of stored ids the walk has not reported yet

    /** Every id is known: the store lists its ids at open ({@link #found} each, then {@link #allFound}). */
    static SpoolIds listed() {
        return new SpoolIds(id -> false);
    }

    /**
     * The ids stored before the spool opened are reported by a later walk; {@link #expect} says how many there are
     * about.
     *
     * @param stored whether the store holds an id (a point read), asked only before the walk is complete
     */
    static SpoolIds walked(Predicate<MessageId> stored) {
        return new SpoolIds(stored);
    }

    private SpoolIds(Predicate<MessageId> stored) {
        this.stored = stored;
    }

    /** About how many ids the store held when it opened (RocksDB's estimate), until the walk has reported them. */
    synchronized void expect(long estimate) {
        if (!complete) {
            notFound = Math.max(0, estimate);
        }
    }

    /** An id the walk over the store found (ignored if it was removed since the walk began). */
    synchronized void found(MessageId id) {
        if (complete) {
            return; // a later walk: the set is exact, and what that walk reads may have been removed since
        }
        if (!removedMeanwhile.contains(id) && ids.add(id) && notFound > 0) {
            notFound--;
        }
    }

    /** The walk has reported every id the store held: from now on the set is exact. */
    synchronized void allFound() {
        complete = true;
        removedMeanwhile = null;
        notFound = 0;
    }

    boolean complete() {
        return complete;
    }

    /** The writer: a store committed. */
    void stored(MessageId id) {
        ids.add(id);
    }

    /** The writer: a removal committed. */
    synchronized void removed(MessageId id) {
        boolean known = ids.remove(id);
        if (!complete) {
            removedMeanwhile.add(id);
            if (!known && notFound > 0) {
                notFound--;
            }
        }
    }

    /** Whether the store holds {@code id}; before the walk is complete, an id not seen yet is asked of the store. */
    boolean contains(MessageId id) {
        if (ids.contains(id)) {
            return true;
        }
        if (complete) {
            return false;
        }
        synchronized (this) {
            if (complete || removedMeanwhile.contains(id)) {
                return false;
            }
        }
        return stored.test(id);
    }

    /** Whether {@code id} was stored since the open or found by the walk (no read of the store). */
    boolean known(MessageId id) {
        return ids.contains(id);
    }

    /** How many ids the store holds: exact once the walk is complete, before that with an estimate of the rest. */
    synchronized long size() {
        return ids.size() + notFound;
    }

    /** Forgets every id (the store was replaced): the caller then reports the new store's ids and completes. */
    synchronized void clear() {
        ids.clear();
        complete = false;
        removedMeanwhile = new HashSet<>();
        notFound = 0;
    }
}
