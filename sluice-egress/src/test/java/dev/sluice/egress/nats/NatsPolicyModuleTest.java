package dev.sluice.egress.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.NatsServer;
import dev.sluice.testkit.Peers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.nats.connect} and {@code client:publish} against a real nats-server, watched by a raw subscriber. */
class NatsPolicyModuleTest {
    @RegisterExtension
    final Peers peers = new Peers();
    @TempDir
    Path dir;

    private final NatsPolicyModule nats = new NatsPolicyModule();

    @AfterEach
    void closeModule() {
        nats.close();
    }

    private Policy load(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return Policy.load(new PolicyOptions(file, 1, List.of(nats), null));
    }

    /** A subscriber speaking the protocol by hand over a plain socket: what the server really delivered. */
    private static final class RawSubscriber implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        RawSubscriber(NatsServer server, String auth, String... subjects) throws Exception {
            socket = new Socket(server.address().getAddress(), server.port());
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            assertThat(in.readLine()).startsWith("INFO ");
            StringBuilder cmds = new StringBuilder("CONNECT {\"verbose\":false,\"headers\":true" + auth + "}\r\n");
            for (int i = 0; i < subjects.length; i++) {
                cmds.append("SUB ").append(subjects[i]).append(' ').append(i + 1).append("\r\n");
            }
            send(cmds.append("PING\r\n").toString());
            assertThat(in.readLine()).isEqualTo("PONG"); // the subscriptions are in place
        }

        void send(String text) throws Exception {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** The next message: its control line, then its header and payload lines. */
        List<String> next(int lines) throws Exception {
            List<String> got = new java.util.ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("PING")) {
                    send("PONG\r\n");
                    continue;
                }
                got.add(line);
                if (got.size() == lines) return got;
            }
            return got;
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @Test
    void publishesWithUserAndPasswordAndTheSubscriberGetsIt() throws Exception {
        NatsServer server = peers.add(NatsServer.builder().user("kumo", "s3cret").start());
        try (RawSubscriber sub = new RawSubscriber(server, ",\"user\":\"kumo\",\"pass\":\"s3cret\"", "sluice.events");
             Policy p = load("""
                     local client
                     kumo.on('send', function(payload, headers)
                       if not client then
                         client = kumo.nats.connect {
                           servers = { '%s' }, name = 'sluice-test', max_reconnects = 3,
                           auth = { username = { key_data = 'kumo' }, password = { key_data = 's3cret' } },
                         }
                       end
                       local ack = client:publish { subject = 'sluice.events', payload = payload, headers = headers, await_ack = false }
                       return next(ack) == nil
                     end)
                     """.formatted(server.hostPort()))) {
            assertThat(p.call("send", "hello nats", null)).isEqualTo(true);
            assertThat(sub.next(2)).containsExactly("MSG sluice.events 1 10", "hello nats");

            assertThat(p.call("send", "with headers", Map.of("X-Sluice", "yes"))).isEqualTo(true);
            List<String> hmsg = sub.next(5);
            assertThat(hmsg.getFirst()).startsWith("HMSG sluice.events 1 ");
            assertThat(hmsg.subList(1, 5)).containsExactly("NATS/1.0", "X-Sluice: yes", "", "with headers");
        }
        assertThat(IgnoredKeys.list()).contains(new IgnoredKeys.IgnoredKey("kumo.nats.connect", "max_reconnects"));
        assertThat(server.logText()).doesNotContain("Authorization Violation");
    }

    @Test
    void jetStreamAcknowledgesWithStreamSequenceAndDuplicate() throws Exception {
        NatsServer server = peers.add(NatsServer.builder().jetStream().start());
        try (RawSubscriber admin = new RawSubscriber(server, "", "_INBOX.admin")) {
            String config = "{\"name\":\"EVENTS\",\"subjects\":[\"events.>\"],\"storage\":\"memory\"}";
            admin.send("PUB $JS.API.STREAM.CREATE.EVENTS _INBOX.admin " + config.length() + "\r\n" + config + "\r\n");
            List<String> reply = admin.next(2);
            assertThat(reply.get(1)).contains("\"created\"").doesNotContain("\"error\"");
        }
        try (Policy p = load("""
                local client = nil
                kumo.on('publish', function(subject, id)
                  client = client or kumo.nats.connect { servers = { '%s' }, retain_servers_order = true }
                  local ack = client:publish { subject = subject, payload = 'payload', headers = { ['Nats-Msg-Id'] = id } }
                  return ack.stream .. ' ' .. ack.sequence .. ' ' .. tostring(ack.duplicate)
                end)
                kumo.on('close', function() client:close() end)
                """.formatted(server.hostPort()))) {
            assertThat(p.call("publish", "events.a", "id-1")).isEqualTo("EVENTS 1 false");
            assertThat(p.call("publish", "events.b", "id-2")).isEqualTo("EVENTS 2 false");
            // the same Nats-Msg-Id again: JetStream keeps the first and acknowledges with its sequence
            assertThat(p.call("publish", "events.a", "id-1")).isEqualTo("EVENTS 1 true");
            assertThatThrownBy(() -> p.call("publish", "nostream.a", "id-3")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("policy.lua:4:").hasMessageContaining("no JetStream stream takes subject 'nostream.a'")
                    .hasMessageContaining(server.hostPort());
            p.call("close");
            assertThatThrownBy(() -> p.call("publish", "events.a", "id-4")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("client was closed");
        }
    }

    @Test
    void aLostConnectionIsMadeAgainAtTheNextPublication() throws Exception {
        int port = FreePorts.tcp();
        NatsServer first = peers.add(NatsServer.builder().port(port).start());
        try (Policy p = load("""
                local client = kumo.nats.connect { servers = { '127.0.0.1:%d' } }
                kumo.on('send', function(text)
                  client:publish { subject = 'sluice.again', payload = text, await_ack = false }
                end)
                """.formatted(port))) {
            p.call("send", "before");
            first.close();
            NatsServer second = peers.add(NatsServer.builder().port(port).start());
            try (RawSubscriber sub = new RawSubscriber(second, "", "sluice.again")) {
                p.call("send", "after"); // the first server's exit closed the connection: this one reconnects
                assertThat(sub.next(2)).containsExactly("MSG sluice.again 1 5", "after");
            }
        }
    }

    @Test
    void unreachableServerIsNamedInTheError() throws Exception {
        int nobody = FreePorts.tcp();
        try (Policy p = load("""
                kumo.on('connect', function() kumo.nats.connect { servers = { '127.0.0.1:%d' }, connection_timeout = '2s' } end)
                """.formatted(nobody))) {
            assertThatThrownBy(() -> p.call("connect")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("policy.lua:1:")
                    .hasMessageContaining("cannot connect to NATS server 127.0.0.1:" + nobody)
                    .hasMessageContaining("refused");
        }
    }

    @Test
    void wrongPasswordIsRefusedWithTheServersWords() throws Exception {
        NatsServer server = peers.add(NatsServer.builder().user("kumo", "s3cret").start());
        try (Policy p = load("""
                kumo.on('connect', function()
                  kumo.nats.connect { servers = { '%s' }, auth = { username = { key_data = 'kumo' }, password = { key_data = 'wrong' } } }
                end)
                """.formatted(server.hostPort()))) {
            assertThatThrownBy(() -> p.call("connect")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining(server.hostPort()).hasMessageContaining("Authorization Violation");
        }
    }

    @Test
    void badConfigurationIsAnErrorByName() throws Exception {
        try (Policy p = load("""
                kumo.on('typo', function() kumo.nats.connect { servers = { '127.0.0.1:4222' }, nmae = 'x' } end)
                kumo.on('tls', function() kumo.nats.connect { servers = { '127.0.0.1:4222' }, tls_required = true } end)
                kumo.on('half', function() kumo.nats.connect { servers = { '127.0.0.1:4222' }, auth = { username = 'u' } } end)
                kumo.on('file', function()
                  kumo.nats.connect { servers = { '127.0.0.1:4222' }, auth = { token = '/nonexistent/token' } }
                end)
                """)) {
            assertThatThrownBy(() -> p.call("typo")).hasMessageContaining("unknown key 'nmae'");
            assertThatThrownBy(() -> p.call("tls")).hasMessageContaining("TLS");
            assertThatThrownBy(() -> p.call("half")).hasMessageContaining("both username and password");
            assertThatThrownBy(() -> p.call("file")).hasMessageContaining("cannot read token from")
                    .hasMessageContaining("/nonexistent/token");
        }
    }
}
