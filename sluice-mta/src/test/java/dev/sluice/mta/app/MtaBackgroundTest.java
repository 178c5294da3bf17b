package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The policy's background work in the MTA's lifecycle: tasks start with the MTA and end with its shutdown. */
class MtaBackgroundTest extends MtaAppTestBase {
    /** Starts the MTA with a policy whose init defines the spool and logs in the test directory, then {@code init}. */
    private MtaApp start(String init, String rest) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, ("kumo.on('init', function()\n"
                + "  kumo.define_spool { name = 'data', path = 'DIR/spool', flush = false }\n"
                + "  kumo.configure_local_logs { log_dir = 'DIR/logs' }\n"
                + init + "\nend)\n" + rest).replace("DIR", dir.toAbsolutePath().toString()));
        return MtaFixture.start(file);
    }

    @Test
    void aTaskSpawnedInInitRunsWhileTheMtaRunsAndEndsAtShutdown() throws Exception {
        app = start("kumo.spawn_task { event_name = 'worker', args = { greeting = 'hello' } }", """
                kumo.on('worker', function(args)
                  kumo.mpsc.define('status'):send(args.greeting)
                  while true do kumo.time.sleep(3600) end  -- runs until the MTA stops
                end)
                kumo.on('status', function() return kumo.mpsc.define('status'):try_recv() end)
                """);
        await().atMost(WAIT).until(() -> "hello".equals(app.policy().call("status")));
        assertThat(app.policy().runningTasks()).isEqualTo(1);

        app.shutdown(Duration.ofSeconds(30));
        assertThat(app.policy().runningTasks()).isZero();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith("sluice-task-") || name.equals("sluice-config-monitor"));
    }

    @Test
    void theAdminEndpointBumpsTheConfigEpoch() throws Exception {
        app = start("kumo.start_http_listener { listen = '127.0.0.1:0' }", "");
        var http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                        + MtaFixture.hostPort(app.httpAddresses().getFirst()) + "/api/admin/bump-config-epoch"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(app.policy().configEpoch().current()).isEqualTo(1);
    }
}
