package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {
    private static final List<EgressPool.Entry> FIVE_TWO_THREE = List.of(
            new EgressPool.Entry("one", 5), new EgressPool.Entry("two", 2), new EgressPool.Entry("three", 3));

    private static Map<String, Integer> pick(WeightedRoundRobin rr, int n, Predicate<String> suspended) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(rr.next(suspended).orElseThrow(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void weightsFiveTwoThreeOverAHundredPicks() {
        assertThat(pick(new WeightedRoundRobin(FIVE_TWO_THREE), 100, s -> false))
                .isEqualTo(Map.of("one", 50, "two", 20, "three", 30));
    }

    @Test
    void firstPicksFollowLvsStartingState() {
        // index starts at 0 and cw at 0, so the first pick is entry 1, as in KumoMTA
        var rr = new WeightedRoundRobin(FIVE_TWO_THREE);
        assertThat(List.of(rr.next().orElseThrow(), rr.next().orElseThrow(), rr.next().orElseThrow(),
                rr.next().orElseThrow(), rr.next().orElseThrow()))
                .containsExactly("two", "three", "one", "one", "one");
    }

    @Test
    void weightZeroIsNeverPicked() {
        var rr = new WeightedRoundRobin(List.of(new EgressPool.Entry("a", 1), new EgressPool.Entry("off", 0),
                new EgressPool.Entry("b", 1)));
        assertThat(rr.size()).isEqualTo(2);
        assertThat(pick(rr, 10, s -> false)).isEqualTo(Map.of("a", 5, "b", 5));
    }

    @Test
    void suspendedSourcesAreSkippedAndAllSuspendedGivesNothing() {
        var rr = new WeightedRoundRobin(FIVE_TWO_THREE);
        assertThat(pick(rr, 50, Set.of("one")::contains)).isEqualTo(Map.of("two", 20, "three", 30));
        assertThat(pick(rr, 7, Set.of("one", "three")::contains)).isEqualTo(Map.of("two", 7));
        assertThat(rr.next(Set.of("one", "two", "three")::contains)).isEmpty();
        // and picking resumes once they come back
        assertThat(rr.next()).isPresent();
    }

    @Test
    void emptyAndSingleEntryPools() {
        assertThat(new WeightedRoundRobin(List.of()).next()).isEmpty();
        assertThat(new WeightedRoundRobin(List.of(new EgressPool.Entry("x", 0))).next()).isEmpty();
        var single = new WeightedRoundRobin(EgressPool.unspecified());
        assertThat(pick(single, 3, s -> false)).isEqualTo(Map.of("unspecified", 3));
    }
}
