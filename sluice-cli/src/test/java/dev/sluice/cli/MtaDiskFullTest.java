package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.SmtpSink;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool's disk fills up and is grown again, without a restart: the spool is on a 10 MiB tmpfs the test mounts
 * (root only), with {@code min_free_space = 0} so that nothing but the failing write itself can stop ingress,
 * and the destination down, so that every message stays spooled. 10 KB messages go in until the MTA refuses one at MAIL FROM with 452 4.3.1; meanwhile liveness answers 503
 * and HTTP inject a 5xx. Then the tmpfs grows to 60 MiB: the MTA must accept again (RocksDB reopened after its
 * write error), and once the destination is up every message that got a 250 must reach it.
 */
class MtaDiskFullTest {
    private static final int MAX_MESSAGES = 4000; // 40 MB: four times the disk
    private static final int BODY = 10_000;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    private static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static HttpResponse<String> http(HttpClient client, SluiceProcess mta, String path, String json)
            throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://" + MtaRoutesTest.hostPort(mta.httpListener()) + path))
                .timeout(Duration.ofSeconds(30));
        if (json != null) b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> seqs(SmtpSink sink) {
        Set<String> seen = new HashSet<>();
        for (DumpedMessage m : sink.messages()) m.header("X-Seq").ifPresent(seen::add);
        return seen;
    }

    @Test
    void aFullDiskRefusesAtMailFromAndAcceptsAgainOnceItGrowsWithoutLosingAnAcknowledgedMessage() throws Exception {
        assumeThat(System.getProperty("user.name")).as("mounting a tmpfs needs root").isEqualTo("root");
        Path disk = Files.createDirectories(dir.resolve("disk"));
        assumeThat(sh("mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", disk.toString())).isZero();
        SluiceProcess mta = null;
        try {
            int sinkPort = FreePorts.tcp(); // nothing listens there while the disk fills: every message stays spooled
            Path policy = MtaTestPolicy.of(dir, sinkPort).flush(true).httpListener()
                    .spool(disk.resolve("spool"), ", min_free_space = 0")
                    .queue("retry_interval = '1s', max_retry_interval = '5s',").write();
            mta = MtaTestPolicy.start(peers, dir, policy);
            Set<String> acked = new HashSet<>();
            String refusal = null;
            int dataRefusals = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            try (SmtpInjector smtp = new SmtpInjector(mta.listener("esmtp").orElseThrow())) {
                for (int i = 0; i < MAX_MESSAGES && refusal == null && System.nanoTime() < deadline; i++) {
                    String seq = "m%05d".formatted(i);
                    String reply = smtp.attempt("sender@example.test", "rcpt@example.test", seq, BODY);
                    if (reply.startsWith("DATA 250")) {
                        acked.add(seq);
                    } else if (reply.startsWith("MAIL ")) {
                        refusal = reply;
                    } else {
                        dataRefusals++; // the write that hit the full disk: not acknowledged, the client keeps it
                        assertThat(reply).startsWith("DATA 4");
                    }
                }
            }
            assertThat(refusal).as("refused at MAIL FROM before %d messages", MAX_MESSAGES)
                    .isNotNull().startsWith("MAIL 452 4.3.1 ");
            assertThat(acked.size()).isBetween(100, 2000);
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> live = http(client, mta, "/api/check-liveness/v1", null);
                assertThat(live.statusCode()).isEqualTo(503);
                assertThat(live.body()).contains("spool data");
                HttpResponse<String> inject = http(client, mta, "/api/inject/v1", "{\"envelope_sender\": "
                        + "\"noreply@example.test\", \"content\": \"Subject: while full\\r\\n\\r\\nhello\\r\\n\","
                        + " \"recipients\": [{\"email\": \"rcpt@example.test\"}]}");
                assertThat(inject.statusCode()).isIn(503, 507);

                assertThat(sh("mount", "-o", "remount,size=60m", disk.toString())).isZero();
                SluiceProcess running = mta;
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                        .until(() -> http(client, running, "/api/check-liveness/v1", null).statusCode() == 200);
            }
            SmtpSink sink = peers.add(SmtpSink.builder().port(sinkPort).backlog(256).start());
            try (SmtpInjector smtp = new SmtpInjector(mta.listener("esmtp").orElseThrow())) {
                for (int i = 0; i < 20; i++) {
                    String seq = "after%02d".formatted(i);
                    assertThat(smtp.attempt("sender@example.test", "rcpt@example.test", seq, BODY))
                            .startsWith("DATA 250");
                    acked.add(seq);
                }
                smtp.quit();
            }
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> seqs(sink).containsAll(acked));
            System.out.printf("MtaDiskFullTest: %d acknowledged (%d after the disk grew), %d refused after DATA, "
                    + "refusal at MAIL FROM: %s; %d distinct delivered%n", acked.size(), 20, dataRefusals, refusal,
                    seqs(sink).size());
            assertThat(mta.logText()).contains("recovered after failed writes");
        } finally {
            if (mta != null) {
                mta.terminate();
                mta.awaitExit(Duration.ofMinutes(1));
            }
            if (sh("umount", disk.toString()) != 0) sh("umount", "-l", disk.toString());
        }
    }
}
