package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ShutdownHookTest {
    @Test
    void peersLeftRunningAreStoppedWhenTheJvmExits() {
        String java = ProcessHandle.current().info().command().orElse("java");
        ToolResult r = Tool.run(null, List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dsluice.peers.dir=" + PeerLogs.dir(), ReaperProbe.class.getName()), Map.of(), Tool.DEFAULT_TIMEOUT);

        assertThat(r.exitCode()).as(r.describe()).isZero();
        Matcher m = Pattern.compile("PID (\\d+)").matcher(r.stdout());
        assertThat(m.find()).as(r.describe()).isTrue();
        long pid = Long.parseLong(m.group(1));
        await().atMost(Duration.ofSeconds(30)).until(() -> !alive(ProcessHandle.of(pid)));
    }

    private static boolean alive(Optional<ProcessHandle> p) {
        return p.map(ProcessHandle::isAlive).orElse(false);
    }
}
