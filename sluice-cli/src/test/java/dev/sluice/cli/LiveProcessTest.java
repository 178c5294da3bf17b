package dev.sluice.cli;

import static dev.sluice.cli.AdminProcessTest.hostPort;
import static dev.sluice.cli.AdminProcessTest.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kcli's live views against a running {@code bin/sluice mta}: {@code trace-smtp-server} and
 * {@code trace-smtp-client} print the conversation of a message sent while they run (and a filter that does not
 * match keeps it out); {@code top} draws the queues in a terminal (tmux) and quits on q.
 */
class LiveProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SOCKET = "sluice-test-" + ProcessHandle.current().pid();

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private SluiceProcess trace(String... args) {
        return peers.add(SluiceProcess.builder().args(args).readyWhen("^tracing ").start());
    }

    @Test
    void tracesShowTheLiveConversationOfAMessage() throws Exception {
        int sinkPort = FreePorts.tcp();
        SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).start());
        Path policy = MtaTestPolicy.of(dir, sinkPort).httpListener().write();
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String endpoint = "http://" + hostPort(mta.listener("http").orElseThrow());
        String esmtp = hostPort(mta.listener("esmtp").orElseThrow());

        SluiceProcess server = trace("trace-smtp-server", "--endpoint", endpoint, "--color", "no");
        SluiceProcess elsewhere = trace("trace-smtp-server", "--endpoint", endpoint, "--source", "10.0.0.0/8");
        SluiceProcess client = trace("trace-smtp-client", "--endpoint", endpoint, "--color", "no");
        SluiceProcess otherDomain = trace("trace-smtp-client", "--endpoint", endpoint, "--domain", "other.test");

        ok("inject", "--server", esmtp, "--from", "s@example.test", "--to", "rcpt@traced.test", "--subject",
                "watch me");
        sink.awaitMessages(1, WAIT);

        // the server side: the client's commands (->) and the MTA's replies (<-), under the session's key
        server.awaitLine("\\[127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:\\d+\\] .* === Connected", WAIT);
        server.awaitLine("<-  220 ", WAIT);
        server.awaitLine(" -> MAIL FROM:<s@example\\.test>", WAIT);
        server.awaitLine(" -> Subject: watch me", WAIT);
        server.awaitLine("<-  250 ", WAIT);
        server.awaitLine("=== Closed", WAIT);
        // the client side: what the MTA sent to the destination (->) and its answers (<-)
        client.awaitLine("=== Connected .* 127\\.0\\.0\\.1:" + sinkPort, WAIT);
        client.awaitLine("<-  220 ", WAIT);
        client.awaitLine("=== conn_meta domain=traced\\.test", WAIT);
        client.awaitLine(" -> RCPT TO:<rcpt@traced\\.test>", WAIT);
        client.awaitLine(" -> Subject: watch me", WAIT);
        // filters that do not match the session keep it out
        Thread.sleep(1000);
        assertThat(elsewhere.lines()).noneMatch(l -> l.contains("MAIL FROM"));
        assertThat(otherDomain.lines()).noneMatch(l -> l.contains("RCPT TO"));
    }

    @Test
    void topDrawsTheQueuesAndQuitsOnQ() throws Exception {
        int deadPort = FreePorts.tcp();
        Path policy = MtaTestPolicy.of(dir, deadPort).httpListener().queue("retry_interval = '1h',").write();
        SluiceProcess mta = MtaTestPolicy.start(peers, dir, policy);
        String endpoint = "http://" + hostPort(mta.listener("http").orElseThrow());
        ok("inject", "--server", hostPort(mta.listener("esmtp").orElseThrow()), "--from", "s@example.test", "--to",
                "a@held.test", "--count", "3");

        String session = "sluice-top-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        // After top, the pane's shell prints top's exit status and the terminal's modes, then stays: tmux's own
        // record of a dead pane's exit status is not reliable (tmux 3.3a misses it now and then for any command,
        // `sleep 1` too: the pane shows dead with no status), so the test reads them from the screen.
        String command = "SLUICE_NO_BUILD=1 " + SluiceProcess.home().resolve("bin/sluice") + " top --endpoint "
                + endpoint + " --update-interval 0.5; echo \"top exited $?\"; echo \"modes: $(stty -a | tr ' ;' '\\n\\n'"
                + " | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' ')\"; exec sleep 600";
        tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "40", command);
        try {
            // all three back in their scheduled queue once the first attempts (to a closed port) have failed; during
            // those attempts some of them show in the ready queue instead
            var allThree = java.util.regex.Pattern.compile("held\\.test\\s+3");
            await().atMost(WAIT).until(() -> allThree.matcher(capture(session)).find());
            String screen = capture(session);
            assertThat(screen).contains("sluice top").containsPattern("SCHEDULED QUEUE\\s+MESSAGES")
                    .containsPattern("held\\.test\\s+3").contains("READY QUEUE").contains("q quits");
            String first = screen.lines().filter(l -> l.startsWith("sluice top")).findFirst().orElseThrow();
            await().atMost(WAIT).until(() -> !capture(session).contains(first)); // it refreshes (the clock moves)
            // q quits at once, with exit status 0, and gives the terminal back as it was (line editing and echo on)
            tmux("send-keys", "-t", session, "q");
            await().atMost(Duration.ofSeconds(10)).until(() -> capture(session).contains("modes: "));
            assertThat(capture(session).lines().map(String::strip)).contains("top exited 0", "modes: icanon echo");
        } finally {
            new ProcessBuilder("tmux", "-L", SOCKET, "kill-session", "-t", session).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String capture(String session) throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-t", session);
    }

    private static String tmux(String... args) throws IOException, InterruptedException {
        // a server of our own (-L), gone with its last session
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", SOCKET));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
        return out;
    }
}
