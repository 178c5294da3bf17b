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

    @Override
    default void close() {}

    /** A store that forgets everything at exit (tests, {@code :memory:}). */
    static TsaStore inMemory() {
        Map<String, TsaItem> items = new ConcurrentHashMap<>();
        return new TsaStore() {
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
