package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The policy's background work in the MTA's lifecycle: tasks start with the MTA and end with its shutdown. */
class MtaBackgroundTest extends MtaAppTestBase {
    @Test
    void aTaskSpawnedInInitRunsWhileTheMtaRunsAndEndsAtShutdown() throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }
                  kumo.configure_local_logs { log_dir = 'DIR/logs' }
                  kumo.spawn_task { event_name = 'worker', args = { greeting = 'hello' } }
                end)
                kumo.on('worker', function(args)
                  kumo.mpsc.define('status'):send(args.greeting)
                  while true do kumo.time.sleep(3600) end  -- runs until the MTA stops
                end)
                kumo.on('status', function() return kumo.mpsc.define('status'):try_recv() end)
                """.replace("DIR", dir.toAbsolutePath().toString()));
        app = MtaFixture.start(file);
        await().atMost(WAIT).until(() -> "hello".equals(app.policy().call("status")));
        assertThat(app.policy().runningTasks()).isEqualTo(1);

        app.shutdown(Duration.ofSeconds(30));
        assertThat(app.policy().runningTasks()).isZero();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith("sluice-task-") || name.equals("sluice-config-monitor"));
    }
}
