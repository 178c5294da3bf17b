package dev.sluice.tsa;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Where {@link TsaState} keeps its live items so that they survive a restart. */
public interface TsaStore extends AutoCloseable {

    /** Every stored item, expired ones included (the state drops those). */
    List<TsaItem> load();

    /** Stores {@code item} under its {@link TsaItem#key()}, replacing what was there. */
    void put(TsaItem item);

    /** Forgets the item stored under {@code key}. */
    void delete(String key);

    /** A Threshold rule's recent matches for one (rule, site): the period and the match times (epoch seconds). */
    record Window(long periodSeconds, List<Long> times) {
        public Window {
            times = List.copyOf(times);
        }
    }

    /** The stored threshold windows by scope. */
    Map<String, Window> loadWindows();

    void putWindow(String scope, Window window);

    void deleteWindow(String scope);

    @Override
    default void close() {}

    /** A store that forgets everything at exit (tests, {@code :memory:}). */
    static TsaStore inMemory() {
        Map<String, TsaItem> items = new ConcurrentHashMap<>();
        Map<String, Window> windows = new ConcurrentHashMap<>();
        return new TsaStore() {
            @Override
            public Map<String, Window> loadWindows() {
                return Map.copyOf(windows);
            }

            @Override
            public void putWindow(String scope, Window window) {
                windows.put(scope, window);
            }

            @Override
            public void deleteWindow(String scope) {
                windows.remove(scope);
            }

            @Override
            public List<TsaItem> load() {
                return List.copyOf(items.values());
            }

            @Override
            public void put(TsaItem item) {
                items.put(item.key(), item);
            }

            @Override
            public void delete(String key) {
                items.remove(key);
            }
        };
    }
}
