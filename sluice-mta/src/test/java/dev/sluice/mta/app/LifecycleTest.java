package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    private final List<String> ran = new ArrayList<>();
    private final Lifecycle lifecycle = new Lifecycle();

    private void component(String name) throws Exception {
        lifecycle.start(name, () -> ran.add("start " + name), () -> ran.add("stop " + name));
    }

    @Test
    void componentsStopInTheReverseOfTheirStartOrder() throws Exception {
        component("a");
        component("b");
        component("c");
        lifecycle.stopAll();
        lifecycle.stopAll(); // once only

        assertThat(ran).containsExactly("start a", "start b", "start c", "stop c", "stop b", "stop a");
        assertThat(lifecycle.history()).isEqualTo(ran);
    }

    @Test
    void aFailedStartStopsWhatStartedBeforeItAndNotItself() throws Exception {
        component("a");
        component("b");
        assertThatThrownBy(() -> lifecycle.start("c", () -> {
            throw new IllegalStateException("port in use");
        }, () -> ran.add("stop c"))).hasMessage("port in use");
        lifecycle.stopAll();

        assertThat(ran).containsExactly("start a", "start b", "stop b", "stop a");
    }

    @Test
    void aFailingStopDoesNotKeepTheOthersFromStopping() throws Exception {
        component("a");
        lifecycle.start("b", () -> ran.add("start b"), () -> {
            throw new java.io.IOException("disk gone");
        });
        component("c");
        lifecycle.stopAll();

        assertThat(ran).containsExactly("start a", "start b", "start c", "stop c", "stop a");
        assertThat(lifecycle.history()).containsSubsequence("stop c", "stop b", "stop a");
    }

    @Test
    void nothingStartsOnceTheStopBegan() {
        lifecycle.stopAll();
        assertThatThrownBy(() -> component("late")).isInstanceOf(IllegalStateException.class);
        assertThat(ran).isEmpty();
    }
}
