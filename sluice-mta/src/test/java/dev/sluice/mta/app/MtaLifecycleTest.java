package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testkit.SmtpSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MTA's components start in one order and stop in the reverse one, also when a start fails part way. */
class MtaLifecycleTest extends MtaAppTestBase {

    private static List<String> named(List<String> history, String verb) {
        return history.stream().filter(h -> h.startsWith(verb + " ")).map(h -> h.substring(verb.length() + 1)).toList();
    }

    @Test
    void anOrderlyStopStopsEveryComponentInReverseListenersBeforeTheSpool() throws Exception {
        sink = SmtpSink.builder().start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", ""));
        MtaFixture.sendAccepted(app, "rcpt@example.test", "before the stop");
        sink.awaitMessages(1, WAIT);
        app.shutdown(Duration.ofSeconds(5));

        List<String> history = app.lifecycleHistory();
        List<String> starts = named(history, "start");
        List<String> reversed = new ArrayList<>(starts);
        java.util.Collections.reverse(reversed);
        assertThat(named(history, "stop")).isEqualTo(reversed);
        assertThat(starts).containsSubsequence("policy", "spool", "spool writer", "log hooks", "log writers", "queues and dispatch",
                "admin", "scheduling", "listeners", "spool enumeration", "policy background");
        // ingress drains before the queues stop, and both before the logs and the spool close
        assertThat(history).containsSubsequence("stop listeners", "stop shutdown event", "stop scheduling",
                "stop queues and dispatch", "stop shutdown_logging event", "stop log writers", "stop log hooks",
                "stop spool", "stop spool lock", "stop policy");
    }

    @Test
    void aStartThatFailsStopsWhatHadStartedInReverseAndStartsNoThreadAfterIt() throws Exception {
        sink = SmtpSink.builder().start();
        var policy = MtaFixture.policy(dir, sink.port(), "", "");
        app = MtaFixture.start(policy);
        // a second MTA on the same spool fails at its spool lock: what it had started is stopped again, in reverse
        MtaApp second = new MtaApp();
        assertThatThrownBy(() -> MtaApp.start(MtaApp.Options.of(policy)
                .withDefaultSpool(policy.resolveSibling("default-spool")), second)).hasMessageContaining("spool");
        List<String> starts = named(second.lifecycleHistory(), "start");
        assertThat(starts).containsExactly("dns resolvers", "nats", "policy", "policy executor", "delivery loops",
                "spool metrics");
        List<String> reversed = new ArrayList<>(starts);
        java.util.Collections.reverse(reversed);
        assertThat(named(second.lifecycleHistory(), "stop")).isEqualTo(reversed);

        // the first one is untouched and still delivers; then it stops and the spool can be had again
        MtaFixture.sendAccepted(app, "rcpt@example.test", "still running");
        sink.awaitMessages(1, WAIT);
        app.shutdown(Duration.ofSeconds(5));
        app = MtaFixture.start(policy);
        assertThat(app.lifecycleHistory()).contains("start listeners");
    }
}
