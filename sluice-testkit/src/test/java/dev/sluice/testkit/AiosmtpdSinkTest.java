package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AiosmtpdSinkTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void acceptsAMessageOverStarttls() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().requireStarttls().start());

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--tls", "--helo", "tls.test", "--from",
                "s@example.test", "--to", "r@example.test", "--body", "secret body");

        assertThat(r.exitCode()).as(r.describe() + "\n" + sink.describe()).isZero();
        assertThat(r.stdout()).contains("STARTTLS").contains("TLS started");
        DumpedMessage m = sink.awaitMessages(1).getFirst();
        assertThat(m.header("X-TLS")).contains("yes");
        assertThat(m.clientAddr()).isEqualTo("127.0.0.1");
        assertThat(m.rcptTo()).containsExactly("<r@example.test>");
        assertThat(m.body()).contains("secret body");
        assertThat(sink.certificate()).exists();
    }

    @Test
    void refusesPlainTextWhenStarttlsIsRequired() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().requireStarttls().start());

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--from", "s@example.test", "--to", "r@example.test");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void plainSinkWithScriptedRcptReply() {
        AiosmtpdSink sink = peers.add(AiosmtpdSink.builder().rcptReply("550 5.1.1 no such user").start());

        ToolResult r = CommandTool.SWAKS.run("--server", sink.hostPort(), "--from", "s@example.test", "--to", "r@example.test");

        assertThat(r.stdout()).contains("550 5.1.1 no such user");
        assertThat(sink.messages()).isEmpty();
    }
}
