package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SmtpSinkTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void smtpSourceMessagesAreDumpedWithClientAddress() {
        SmtpSink sink = peers.add(SmtpSink.start());

        ToolResult r = SmtpSource.run("-s", "2", "-m", "3", "-f", "a@example.test", "-t", "b@example.test",
                sink.hostPort());

        assertThat(r.exitCode()).as(r.describe()).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sink.messages()).as(sink.describe()).hasSize(3));
        assertThat(sink.messages()).allSatisfy(m -> {
            assertThat(m.clientAddr()).isEqualTo("127.0.0.1");
            assertThat(m.mailFrom()).isEqualTo("<a@example.test>");
            assertThat(m.rcptTo()).containsExactly("<b@example.test>");
        });
    }

    @Test
    void swaksFromAnotherLoopbackSourceShowsThatSourceAndTheBody() {
        SmtpSink sink = peers.add(SmtpSink.builder().host("127.0.0.1").start());

        ToolResult r = Swaks.run("--server", sink.hostPort(), "--local-interface", "127.0.0.5", "--helo", "client.test",
                "--from", "s@example.test", "--to", "r1@example.test,r2@example.test", "--body", "hello from swaks");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("250");
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.messages().size() == 1);
        DumpedMessage m = sink.messages().getFirst();
        assertThat(m.clientAddr()).isEqualTo("127.0.0.5");
        assertThat(m.helo()).isEqualTo("client.test");
        assertThat(m.rcptTo()).containsExactly("<r1@example.test>", "<r2@example.test>");
        assertThat(m.header("From")).contains("s@example.test");
        assertThat(m.header("Received")).hasValueSatisfying(v -> assertThat(v).contains("[127.0.0.5]"));
        assertThat(m.body()).contains("hello from swaks");
    }

    @Test
    void switchesArePassedToSmtpSink() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-f", "rcpt").start());

        ToolResult r = Swaks.run("--server", sink.hostPort(), "--from", "s@example.test", "--to", "r@example.test");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stdout()).containsPattern("<\\*\\* +5\\d\\d");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void closeStopsTheProcess() {
        SmtpSink sink = SmtpSink.start();
        ProcessHandle handle = ProcessHandle.of(sink.pid()).orElseThrow();

        sink.close();

        assertThat(handle.isAlive()).isFalse();
        assertThat(Net.accepts(sink.host(), sink.port())).isFalse();
    }
}
