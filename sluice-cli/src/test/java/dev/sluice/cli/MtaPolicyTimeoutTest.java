package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.LogReader;
import dev.sluice.mta.log.LogRecord;
import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Lua infinite loop must not wedge {@code bin/sluice mta}: with a policy that loops forever for the domain
 * loop.test, the messages to loop.test fail after the policy call timeout while other messages are accepted and
 * delivered, HTTP inject answers, the liveness check says when every Lua state is stuck, SIGTERM ends the process
 * within its drain, and messages spooled for loop.test do not wedge it after a restart.
 */
class MtaPolicyTimeoutTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private final ExecutorService clients = Executors.newCachedThreadPool();

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    /**
     * Spool, logs, ESMTP and HTTP listeners, delivery to the sink; {@code reception} and {@code queueLoop} are the
     * bodies that run first in {@code smtp_server_message_received(msg)} and {@code get_queue_config(domain)}.
     */
    private Path policy(int sinkPort, String reception, String queueLoop) throws IOException {
        String d = dir.toAbsolutePath().toString();
        String lua = """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', kind = 'RocksDB', flush = true }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:0' }
                  kumo.start_http_listener { listen = '127.0.0.1:0' }
                end)
                kumo.on('smtp_server_message_received', function(msg)
                %2$s
                end)
                kumo.on('get_queue_config', function(domain)
                %3$s
                  return kumo.make_queue_config { retry_interval = '1h',
                    protocol = { smtp = { mx_list = { '127.0.0.1:%4$d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(d, reception, queueLoop, sinkPort);
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return file;
    }

    /** Loops forever (logging "looping for RCPT" first) for recipients at loop.test. */
    private static final String LOOP_AT_RECEPTION = """
              local rcpt = tostring(msg:recipient())
              if rcpt:match('@loop%.test$') then
                kumo.log_info('looping for ' .. rcpt)
                while true do end
              end""";

    private SluiceProcess mta(Path policy, String... flags) {
        List<String> args = new ArrayList<>(List.of("mta", "--policy", policy.toString()));
        args.addAll(List.of(flags));
        return peers.add(SluiceProcess.builder().args(args).workDir(dir).start());
    }

    private static InetSocketAddress esmtp(SluiceProcess mta) {
        return mta.listener("esmtp").orElseThrow();
    }

    /** One message on its own connection; the reply code after the final dot. */
    private Future<Integer> send(SluiceProcess mta, String to, String seq) {
        return clients.submit(() -> {
            try (SmtpInjector smtp = new SmtpInjector(esmtp(mta))) {
                return smtp.sendMessage("sender@example.test", to, seq);
            }
        });
    }

    private static HttpResponse<String> get(SluiceProcess mta, String path) throws Exception {
        InetSocketAddress a = mta.httpListener();
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> inject(SluiceProcess mta, String to, String seq) {
        InetSocketAddress a = mta.httpListener();
        String json = "{\"envelope_sender\": \"sender@example.test\", \"content\": \"Subject: http\\r\\nX-Seq: "
                + seq + "\\r\\n\\r\\nhello\\r\\n\", \"recipients\": [{\"email\": \"" + to + "\"}]}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/api/inject/v1"))
                .header("Content-Type", "application/json").timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code lua_count} from /metrics: how many Lua states the MTA runs (max(2, cores)). */
    private static int luaStates(SluiceProcess mta) throws Exception {
        Matcher m = Pattern.compile("(?m)^lua_count (\\d+)").matcher(get(mta, "/metrics").body());
        assertThat(m.find()).as("lua_count in /metrics").isTrue();
        return (int) Double.parseDouble(m.group(1));
    }

    private List<LogRecord> records(RecordType type) throws IOException {
        return LogReader.readAll(dir.resolve("logs")).stream().filter(r -> r.type() == type).toList();
    }

    private static long count(SluiceProcess mta, String text) {
        return mta.lines().stream().filter(l -> l.contains(text)).count();
    }

    @Test
    void aReceptionLoopForOneDomainDefersOnlyItsMessagesAndTheRestFlows() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        SluiceProcess mta = mta(policy(sink.port(), LOOP_AT_RECEPTION, ""), "--policy-timeout-seconds", "3");
        int states = luaStates(mta);

        // as many looping messages as there are Lua states: every state is stuck
        List<Future<Integer>> looping = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < states; i++) {
            looping.add(send(mta, "x" + i + "@loop.test", "loop-" + i));
        }
        await().atMost(WAIT).until(() -> count(mta, "looping for ") == states);
        // liveness says so while they are stuck (after a second), with the events holding the states
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> get(mta, "/api/check-liveness/v1").statusCode() == 503 || looping.getFirst().isDone());
        HttpResponse<String> liveness = get(mta, "/api/check-liveness/v1");
        assertThat(liveness.statusCode()).as(liveness.body()).isEqualTo(503);
        assertThat(liveness.body()).contains("Lua states busy for more than 1 s")
                .contains("smtp_server_message_received");

        // meanwhile other mail: accepted once a state is free again, and delivered; HTTP inject answers too
        Future<Integer> other = send(mta, "someone@example.test", "other-1");
        CompletableFuture<HttpResponse<String>> injected = inject(mta, "web@example.test", "http-1");

        for (Future<Integer> f : looping) {
            assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(451);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
        assertThat(other.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(250);
        HttpResponse<String> answer = injected.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("\"success_count\":1");
        assertThat(sink.awaitMessages(2, WAIT)).extracting(m -> m.header("X-Seq").orElse(""))
                .containsExactlyInAnyOrder("other-1", "http-1");
        assertThat(get(mta, "/api/check-liveness/v1").statusCode()).isEqualTo(200);
        // the reason of each refusal is logged with the line that looped
        assertThat(records(RecordType.Rejection)).hasSize(states).allSatisfy(r -> assertThat(r.response().content())
                .matches("error in policy: .*policy\\.lua:\\d+: policy call exceeded 3 s"));
        // a state that was stopped serves again: another looping message is refused again, after 3 s
        assertThat(send(mta, "again@loop.test", "loop-again").get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(451);
        assertThat(send(mta, "someone@example.test", "other-2").get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(250);
        mta.terminate();
        assertThat(mta.awaitExit(WAIT)).isZero();
    }

    @Test
    void sigtermEndsTheProcessWithinItsDrainWhileEveryLuaStateIsStuck() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        // the policy timeout is far longer than the drain: only a bounded shutdown ends the process in time
        SluiceProcess mta = mta(policy(sink.port(), LOOP_AT_RECEPTION, ""),
                "--policy-timeout-seconds", "600", "--drain-seconds", "2");
        int states = luaStates(mta);
        for (int i = 0; i < states; i++) {
            send(mta, "x" + i + "@loop.test", "loop-" + i);
        }
        await().atMost(WAIT).until(() -> count(mta, "looping for ") == states);

        long start = System.nanoTime();
        mta.terminate();
        assertThat(mta.awaitExit(WAIT)).isZero();
        // 2 s of drain plus the JVM's own exit; without a bound it would wait for the loops forever
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(12));
        assertThat(mta.logText()).contains("mta stopped");
    }

    @Test
    void aQueueConfigLoopForOneDomainDefersItsMessagesOthersDeliverAndARestartDoesNotWedge() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Path policy = policy(sink.port(), "", """
                  if domain == 'loop.test' then
                    kumo.log_info('looping for queue ' .. domain)
                    while true do end
                  end""");
        SluiceProcess first = mta(policy, "--policy-timeout-seconds", "2");
        int states = luaStates(first);
        int loopMessages = states + 4;
        List<Future<Integer>> replies = new ArrayList<>();
        for (int i = 0; i < loopMessages; i++) {
            replies.add(send(first, "x" + i + "@loop.test", "loop-" + i));
        }
        replies.add(send(first, "someone@example.test", "other-1"));
        for (Future<Integer> f : replies) {
            assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(250); // spooled before any queue work
        }
        // every loop.test message is deferred with the reason, the other one is delivered
        await().atMost(WAIT).until(() -> records(RecordType.TransientFailure).size() == loopMessages);
        assertThat(records(RecordType.TransientFailure)).allSatisfy(r -> assertThat(r.response().content())
                .matches("get_queue_config failed: .*policy\\.lua:\\d+: policy call exceeded 2 s.*"));
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Seq")).contains("other-1");
        // a timed-out queue config is not asked again for each message: at most one loop per Lua state
        assertThat(count(first, "looping for queue loop.test")).isLessThanOrEqualTo(states);
        first.terminate();
        assertThat(first.awaitExit(WAIT)).isZero();

        SluiceProcess second = mta(policy, "--policy-timeout-seconds", "2");
        second.awaitLine("re-queued " + loopMessages + " spooled message\\(s\\)", Duration.ofMinutes(1)); // the spool is walked in the background
        assertThat(send(second, "someone@example.test", "other-2").get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isEqualTo(250);
        assertThat(sink.awaitMessages(2, WAIT)).extracting(m -> m.header("X-Seq").orElse(""))
                .contains("other-2");
        // the spooled loop.test messages wait for their retry; the restart asked their queue config once at most
        // per Lua state, not once per message
        assertThat(count(second, "looping for queue loop.test")).isLessThanOrEqualTo(states);
        second.terminate();
        assertThat(second.awaitExit(WAIT)).isZero();
    }
}
