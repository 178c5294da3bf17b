package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.MessageId;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The spool's id set while start-up's walk reports the ids stored before the open: the count stands on the estimate
 * until then, an id removed meanwhile is not brought back by the walk (which reads what the store held when it began),
 * and once the walk is complete the set is exact.
 */
class SpoolIdsTest {
    private static MessageId id(int n) {
        return new MessageId(1, n);
    }

    @Test
    void theWalkFillsTheSetWithoutBringingBackWhatWasRemovedMeanwhile() {
        Set<MessageId> inStore = Set.of(id(1), id(2), id(3));
        SpoolIds ids = SpoolIds.walked(inStore::contains);
        ids.expect(3);
        assertThat(ids.size()).isEqualTo(3);

        ids.stored(id(10)); // ingress, after the open
        assertThat(ids.size()).isEqualTo(4);
        assertThat(ids.contains(id(2))).as("not walked yet: asked of the store").isTrue();
        assertThat(ids.contains(id(99))).isFalse();

        ids.found(id(1));
        assertThat(ids.size()).isEqualTo(4);
        ids.removed(id(10)); // delivered before the walk's snapshot got there
        ids.found(id(10));   // the walk's snapshot still had it
        assertThat(ids.known(id(10))).as("a removed id stays removed").isFalse();
        assertThat(ids.contains(id(10))).isFalse();
        ids.found(id(2));
        ids.found(id(3));
        ids.allFound();
        assertThat(ids.complete()).isTrue();
        assertThat(ids.size()).isEqualTo(3);

        ids.removed(id(2));
        ids.found(id(2)); // a later walk over an older snapshot changes nothing
        assertThat(ids.size()).isEqualTo(2);
        assertThat(ids.contains(id(2))).isFalse();
    }
}
