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

        ToolResult r = CommandTool.SMTP_SOURCE.run("-s", "2", "-m", "3", "-f", "a@example.test", "-t", "b@example.test",
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

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--local-interface", "127.0.0.5", "--helo", "client.test",
                "--from", "s@example.test", "--to", "r1@example.test,r2@example.test", "--body", "hello from swaks");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("250");
        DumpedMessage m = sink.awaitMessages(1).getFirst();
        assertThat(m.clientAddr()).isEqualTo("127.0.0.5");
        assertThat(m.helo()).isEqualTo("client.test");
        assertThat(m.rcptTo()).containsExactly("<r1@example.test>", "<r2@example.test>");
        assertThat(m.header("From")).contains("s@example.test");
        assertThat(m.header("Received")).hasValueSatisfying(v -> assertThat(v).contains("[127.0.0.5]"));
        assertThat(m.body()).contains("hello from swaks");
    }

    @Test
    void awaitMessagesFailsNamingTheSinkWhenNothingArrives() {
        SmtpSink sink = peers.add(SmtpSink.start());

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sink.awaitMessages(1, Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("found 0")
                .hasMessageContaining(sink.log().toString());
    }

    @Test
    void swaksThroughHaproxyForwardArrivesFromTheProxyHeadersSource() {
        SmtpSink sink = peers.add(SmtpSink.start());
        HaproxyForward haproxy = peers.add(HaproxyForward.start());

        ToolResult r = CommandTool.SWAKS.run("--server", haproxy.hostPort(), "--from", "s@example.test", "--to", "r@example.test",
                "--proxy-version", "2", "--proxy-family", "AF_INET", "--proxy-source", "127.0.0.2",
                "--proxy-source-port", "40005", "--proxy-dest", sink.host(), "--proxy-dest-port",
                Integer.toString(sink.port()));

        assertThat(r.exitCode()).as(r.describe() + "\n" + haproxy.describe()).isZero();
        assertThat(sink.awaitMessages(1).getFirst().clientAddr()).isEqualTo("127.0.0.2");
    }

    @Test
    void switchesArePassedToSmtpSink() {
        SmtpSink sink = peers.add(SmtpSink.builder().hardReject("rcpt").start());

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--from", "s@example.test", "--to", "r@example.test");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stdout()).containsPattern("<\\*\\* +5\\d\\d");
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void rawOptionsReachSmtpSinkToo() {
        SmtpSink sink = peers.add(SmtpSink.builder().option("-r", "data").option("-e").start());

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--from", "s@example.test", "--to", "r@example.test");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stdout()).containsPattern("-> HELO").containsPattern("<\\*\\* +4\\d\\d");
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
