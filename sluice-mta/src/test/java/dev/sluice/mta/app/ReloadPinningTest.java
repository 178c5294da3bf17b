package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A reload between the commands of an ESMTP transaction: the transaction runs to its end under the policy version it
 * started with (MAIL FROM), the next transaction and a new connection run the new one, and the old version's Lua
 * states are closed once its last transaction let go.
 */
class ReloadPinningTest extends MtaAppTestBase {

    /** A policy whose reception event refuses each message with a reply naming {@code version}. */
    private Path write(String version) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, MtaFixture.initWithListeners(dir) + """
                kumo.on('smtp_server_message_received', function(msg)
                  kumo.reject(550, 'handled by VERSION')
                end)
                """.replace("VERSION", version));
        return file;
    }

    /** The policy file is replaced by {@code version}'s and reloaded. */
    private void reloadTo(String version) throws Exception {
        write(version);
        assertThat(app.reload("test")).isInstanceOf(PolicyReload.Outcome.Reloaded.class);
    }

    @Test
    void aTransactionFinishesUnderThePolicyItStartedWithAndTheNextOneRunsTheReloadedFile() throws Exception {
        app = MtaFixture.start(write("v1"));
        try (Smtp first = new Smtp(app)) {
            first.expect("EHLO client.test", "250");
            first.expect("MAIL FROM:<a@example.test>", "250");

            reloadTo("v2");
            assertThat(app.policy().versions()).as("v1, held by the open transaction, and v2").isEqualTo(2);

            first.expect("RCPT TO:<b@example.test>", "250");
            assertThat(first.send("DATA")).startsWith("354");
            assertThat(first.send("Subject: one\r\n\r\nbody\r\n.")).isEqualTo("550 handled by v1");
            await().atMost(WAIT).untilAsserted(() -> assertThat(app.policy().versions())
                    .as("v1 closed once its transaction ended").isEqualTo(1));

            first.expect("MAIL FROM:<a@example.test>", "250");
            first.expect("RCPT TO:<b@example.test>", "250");
            first.send("DATA");
            assertThat(first.send("Subject: two\r\n\r\nbody\r\n.")).isEqualTo("550 handled by v2");
        }
        try (Smtp second = new Smtp(app)) {
            second.expect("EHLO client.test", "250");
            second.expect("MAIL FROM:<a@example.test>", "250");
            second.expect("RCPT TO:<b@example.test>", "250");
            second.send("DATA");
            assertThat(second.send("Subject: three\r\n\r\nbody\r\n.")).isEqualTo("550 handled by v2");
        }
        assertThat(app.policy().versions()).isEqualTo(1);
    }

    @Test
    void anAbandonedTransactionLetsItsVersionGoAtRset() throws Exception {
        app = MtaFixture.start(write("v1"));
        try (Smtp client = new Smtp(app)) {
            client.expect("EHLO client.test", "250");
            client.expect("MAIL FROM:<a@example.test>", "250");
            reloadTo("v2");
            assertThat(app.policy().versions()).isEqualTo(2);
            client.expect("RSET", "250");
            assertThat(app.policy().versions()).isEqualTo(1);
            client.expect("MAIL FROM:<a@example.test>", "250");
            client.expect("RCPT TO:<b@example.test>", "250");
            client.send("DATA");
            assertThat(client.send("Subject: after rset\r\n\r\nbody\r\n.")).isEqualTo("550 handled by v2");
        }
    }

    /** A line-at-a-time SMTP client: each command's last reply line. */
    private static final class Smtp implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Smtp(MtaApp app) throws Exception {
            var address = app.esmtpAddresses().getFirst();
            socket = new Socket(address.getAddress(), address.getPort());
            socket.setSoTimeout((int) WAIT.toMillis());
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            assertThat(reply()).startsWith("220");
        }

        String send(String line) throws Exception {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        void expect(String line, String code) throws Exception {
            assertThat(send(line)).as(line).startsWith(code);
        }

        private String reply() throws Exception {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new AssertionError("connection closed");
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
            return line;
        }

        @Override
        public void close() throws Exception {
            try {
                send("QUIT");
            } finally {
                socket.close();
            }
        }
    }
}
