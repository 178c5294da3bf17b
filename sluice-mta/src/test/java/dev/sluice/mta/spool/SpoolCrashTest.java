package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SIGKILL of the process mid-stream loses no message whose store had completed (flush = false). */
class SpoolCrashTest {
    private static final int KILL_AFTER = 2000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void everyAcknowledgedMessageSurvivesSigkill(SpoolConfig.Kind kind) throws Exception {
        Path spoolDir = dir.resolve("spool");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SpoolCrashChild.class.getName(), kind.name(), spoolDir.toString(), "1000000");
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Set<MessageId> acked = new LinkedHashSet<>();
        boolean sawDone = false;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    acked.add(MessageId.parse(line.substring(4)));
                    if (acked.size() == KILL_AFTER) {
                        // SIGKILL while stores are in flight; through the handle, because Process.destroyForcibly
                        // also closes our end of the pipe and the ACK lines already written would be lost
                        child.toHandle().destroyForcibly();
                    }
                } else if (line.equals("DONE")) {
                    sawDone = true;
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(sawDone).as("the child must be killed before it finished").isFalse();
        assertThat(child.exitValue()).isEqualTo(137); // 128 + SIGKILL
        assertThat(acked).hasSizeGreaterThanOrEqualTo(KILL_AFTER);

        Map<MessageId, Message> found = new HashMap<>();
        try (Spool spool = Spools.open(SpoolConfig.of("data", spoolDir, kind, false),
                new SpoolMetrics(new PrometheusRegistry()))) {
            spool.start();
            spool.loadAll(m -> found.put(m.id(), m));
            assertThat(spool.count()).isEqualTo(found.size());
            assertThat(found.keySet()).containsAll(acked);
            for (MessageId id : acked) {
                Message m = found.get(id); // its data is read from the spool, which must still be open
                String n = m.sender().replaceAll("\\D", "");
                assertThat(m.dataAsString()).startsWith("Subject: message " + n + "\r\n");
            }
        }
    }
}
