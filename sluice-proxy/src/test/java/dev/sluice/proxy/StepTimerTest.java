package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The handshake step deadline: each step gets the whole timeout from when it was armed, and only its own action runs. */
class StepTimerTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final StepTimer timer = new StepTimer(ch.eventLoop(), Duration.ofSeconds(2));
    private final List<String> fired = new ArrayList<>();

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private void advance(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void reArmingGivesTheNewStepTheWholeTimeoutAndDropsTheOldAction() {
        timer.arm(() -> fired.add("greeting"));
        advance(1500);
        timer.arm(() -> fired.add("request"));
        advance(1000); // 2.5 s: the greeting's deadline has passed, the request's (3.5 s) has not
        assertThat(fired).isEmpty();
        advance(1100); // 3.6 s
        assertThat(fired).containsExactly("request");
        advance(5000);
        assertThat(fired).containsExactly("request");
    }

    @Test
    void cancelledStepNeverFiresAndArmingAgainStartsAFreshTimeout() {
        timer.arm(() -> fired.add("greeting"));
        advance(500);
        timer.cancel();
        advance(3000);
        assertThat(fired).isEmpty();
        timer.arm(() -> fired.add("authenticator"));
        advance(1900);
        assertThat(fired).isEmpty();
        advance(200);
        assertThat(fired).containsExactly("authenticator");
    }
}
