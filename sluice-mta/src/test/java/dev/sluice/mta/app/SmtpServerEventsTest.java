package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * KumoMTA's SMTP command events ({@code smtp_server_ehlo}, {@code _mail_from}, {@code _rcpt_to}, {@code _data},
 * {@code _auth_plain}) with the replies swaks (or a raw client) sees.
 */
class SmtpServerEventsTest extends MtaAppTestBase {

    private void start(String lua) throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", lua));
    }

    private ToolResult swaks(String... extra) {
        List<String> args = new ArrayList<>(List.of("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "sender@example.test", "--to", "rcpt@example.test", "--helo", "client.test"));
        for (int i = 0; i < extra.length; i += 2) {
            int at = args.indexOf(extra[i]);
            if (at >= 0) {
                args.set(at + 1, extra[i + 1]);
            } else {
                args.add(extra[i]);
                if (!extra[i + 1].isEmpty()) { // "" for a flag without a value
                    args.add(extra[i + 1]);
                }
            }
        }
        return CommandTool.SWAKS.run(args.toArray(String[]::new));
    }

    /** Sends each line and returns each reply's last line (the banner first). */
    private List<String> converse(String... lines) throws IOException {
        InetSocketAddress server = app.esmtpAddresses().getFirst();
        try (Socket socket = new Socket(server.getAddress(), server.getPort())) {
            socket.setSoTimeout(30_000);
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            List<String> replies = new ArrayList<>();
            replies.add(lastLine(in));
            for (String line : lines) {
                out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                replies.add(lastLine(in));
            }
            return replies;
        }
    }

    /** The last line of the next reply; null once the server closed the connection. */
    private static String lastLine(BufferedReader in) throws IOException {
        String line;
        try {
            do {
                line = in.readLine();
            } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        } catch (java.net.SocketException reset) { // we wrote to a closed connection
            return null;
        }
        return line;
    }

    @Test
    void ehloRejectAnswersThatReplyAndTheClientMayGreetAgain() throws Exception {
        start("""
                kumo.on('smtp_server_ehlo', function(domain, conn_meta, extensions)
                  if domain == 'bad.actor' then kumo.reject(550, '5.7.1 go away') end
                end)
                """);

        List<String> replies = converse("EHLO bad.actor", "EHLO good.example", "QUIT");

        assertThat(replies.get(1)).isEqualTo("550 5.7.1 go away");
        assertThat(replies.get(2)).startsWith("250 ");
        ToolResult r = swaks("--helo", "bad.actor");
        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).contains("<** 550 5.7.1 go away");
    }

    @Test
    void ehloMayReplaceTheAdvertisedExtensions() throws Exception {
        start("""
                kumo.on('smtp_server_ehlo', function(domain, conn_meta, extensions)
                  table.insert(extensions, 'X-SLUICE-TEST')
                  return extensions
                end)
                """);

        ToolResult r = swaks();

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(r.stdout()).contains("<-  250-PIPELINING").contains("X-SLUICE-TEST");
    }

    @Test
    void mailFromRejectAndConnMetaCarriedIntoTheMessage() throws Exception {
        start("""
                kumo.on('smtp_server_ehlo', function(domain, conn_meta)
                  conn_meta:set_meta('x_greeting', 'hello ' .. domain)
                end)
                kumo.on('smtp_server_mail_from', function(sender, conn_meta)
                  if sender.domain == 'bad.domain' then kumo.reject(550, '5.7.1 not from ' .. sender.domain) end
                end)
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  msg:append_header('X-Seen', conn_meta:get_meta('x_greeting') .. ' / ' .. msg:get_meta('x_greeting')
                      .. ' / ' .. conn_meta:get_meta('received_from') .. ' / ' .. conn_meta:get_meta('hostname'))
                end)
                """);

        ToolResult refused = swaks("--from", "someone@bad.domain");
        ToolResult accepted = swaks();

        assertThat(refused.stdout()).contains("<** 550 5.7.1 not from bad.domain");
        assertThat(accepted.ok()).as(accepted.describe()).isTrue();
        DumpedMessage m = sink.awaitMessages(1, WAIT).getFirst();
        assertThat(m.header("X-Seen").orElseThrow())
                .matches("hello client\\.test / hello client\\.test / 127\\.0\\.0\\.1:\\d+ / .+");
    }

    @Test
    void rcptToRejectRefusesThatRecipientOnlyAndTheTransactionGoesOn() throws Exception {
        start("""
                kumo.on('smtp_server_rcpt_to', function(recipient, conn_meta)
                  if recipient.user == 'blocked' then kumo.reject(550, '5.1.1 no such user ' .. tostring(recipient)) end
                end)
                """);

        ToolResult r = swaks("--to", "blocked@example.test,ok@example.test");

        assertThat(r.stdout()).contains("<** 550 5.1.1 no such user blocked@example.test");
        assertThat(r.stdout()).containsPattern("<-  250 2\\.0\\.0 OK ids=");
        assertThat(sink.awaitMessages(1, WAIT).getFirst().rcptTo()).singleElement().asString().contains("ok@example.test");
    }

    @Test
    void dataEventSeesEveryRecipientAndTheClientsDataAndMayReject() throws Exception {
        start("""
                kumo.on('smtp_server_data', function(msg, conn_meta)
                  if msg:get_first_named_header_value('Subject') == 'spam' then kumo.reject(554, '5.7.1 no spam') end
                  local first = msg:get_data():match('^[^:]+')
                  msg:prepend_header('X-Data-Event', #msg:recipient_list() .. ' recipients, first header ' .. first)
                end)
                """);

        ToolResult spam = swaks("--header", "Subject: spam");
        ToolResult fine = swaks("--to", "one@example.test,two@example.test");

        assertThat(spam.stdout()).contains("<** 554 5.7.1 no spam");
        assertThat(fine.ok()).as(fine.describe()).isTrue();
        // the event ran once for the two recipients, before the Received header was added; both copies have its edit
        // (delivered in one transaction or two)
        await().atMost(WAIT).until(() -> sink.messages().stream().mapToInt(m -> m.rcptTo().size()).sum() == 2);
        assertThat(sink.messages()).allSatisfy(m ->
                assertThat(m.header("X-Data-Event")).hasValue("2 recipients, first header Date"));
    }

    @Test
    void aLuaErrorAnswers451WithFileAndLineAndTheSessionGoesOn() throws Exception {
        start("""
                kumo.on('smtp_server_mail_from', function(sender, conn_meta)
                  if sender.user == 'boom' then error('lookup failed') end
                end)
                """);

        List<String> replies = converse("EHLO client.test", "MAIL FROM:<boom@example.test>",
                "MAIL FROM:<fine@example.test>", "QUIT");

        assertThat(replies.get(2)).matches("451 4\\.3\\.0 error in policy: .*policy\\.lua:\\d+: lookup failed");
        assertThat(replies.get(3)).isEqualTo("250 2.1.0 OK");
    }

    @Test
    void aRejectTextCannotForgeASecondReply() throws Exception {
        start("""
                kumo.on('smtp_server_mail_from', function(sender) kumo.reject(550, 'no\\r\\n250 2.1.0 OK') end)
                """);

        List<String> replies = converse("EHLO client.test", "MAIL FROM:<a@example.test>", "NOOP");

        assertThat(replies.get(2)).isEqualTo("550 no 250 2.1.0 OK");
        assertThat(replies.get(3)).startsWith("250 "); // the NOOP's own reply, not a forged one
    }

    @Test
    void reject421ClosesTheSession() throws Exception {
        start("""
                kumo.on('smtp_server_rcpt_to', function(recipient) kumo.reject(421, '4.7.0 come back later') end)
                """);

        List<String> replies = converse("EHLO client.test", "MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>",
                "NOOP");

        assertThat(replies.get(3)).isEqualTo("421 4.7.0 come back later");
        assertThat(replies.get(4)).isNull(); // closed
    }

    @Test
    void dynamicParametersOverrideTheListenerForThisConnection() throws Exception {
        start("""
                kumo.on('smtp_server_get_dynamic_parameters', function(listener, conn_meta)
                  return {
                    banner = 'for ' .. listener .. ' from ' .. conn_meta:get_meta('received_from'):match('^[^:]+'),
                    max_recipients_per_message = 1,
                    meta = { x_tier = 'gold' },
                    via = { ['127.0.0.0/8'] = { hostname = 'mx.via.example' } },
                  }
                end)
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  msg:append_header('X-Tier', msg:get_meta('x_tier') .. ' ' .. conn_meta:get_meta('hostname'))
                end)
                """);
        String listener = hostPort(app.esmtpAddresses().getFirst());

        List<String> replies = converse("EHLO client.test", "MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>",
                "RCPT TO:<c@example.test>", "QUIT");
        ToolResult r = swaks();

        assertThat(replies.getFirst()).isEqualTo("220 mx.via.example for " + listener + " from 127.0.0.1");
        assertThat(replies.get(4)).isEqualTo("452 4.5.3 too many recipients");
        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Tier")).hasValue("gold mx.via.example");
    }

    @Test
    void aFailingOrBadDynamicParametersHandlerRefusesTheConnectionBeforeTheBanner() throws Exception {
        start("""
                kumo.on('smtp_server_get_dynamic_parameters', function(listener, conn_meta)
                  if conn_meta:get_meta('received_from'):match('^127%.0%.0%.1:') then error('directory down') end
                end)
                """);

        List<String> replies = converse("EHLO client.test");

        assertThat(replies.getFirst()).matches("421 4\\.3\\.0 .* error in policy, try again later");
        assertThat(replies.get(1)).isNull();
    }

    private static final String AUTH = """
            kumo.on('smtp_server_auth_plain', function(authz, authc, password, conn_meta)
              return authc == 'daniel' and password == 'tiger'
            end)
            kumo.on('smtp_server_message_received', function(msg, conn_meta)
              msg:append_header('X-Auth', tostring(msg:get_meta('authn_id')) .. ' ' .. tostring(msg:get_meta('authz_id'))
                  .. ' ' .. tostring(conn_meta:get_meta('authn_id')))
            end)
            """;

    @Test
    void authPlainOverStartTlsPutsTheIdentityIntoTheMessageMeta() throws Exception {
        start(AUTH);

        ToolResult ok = swaks("-tls", "", "--auth", "PLAIN", "--auth-user", "daniel", "--auth-password", "tiger");
        ToolResult wrong = swaks("-tls", "", "--auth", "PLAIN", "--auth-user", "daniel", "--auth-password", "lion");

        assertThat(ok.ok()).as(ok.describe()).isTrue();
        assertThat(ok.stdout()).contains("250-AUTH PLAIN").contains("<~  235 2.7.0 Authentication successful");
        assertThat(wrong.stdout()).contains("<~* 535 5.7.8");
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Auth")).hasValue("daniel daniel daniel");
    }

    @Test
    void authPlainIsNeitherOfferedNorAcceptedWithoutTls() throws Exception {
        start(AUTH);

        ToolResult r = swaks("--auth", "PLAIN", "--auth-user", "daniel", "--auth-password", "tiger");
        // "\0daniel\0tiger"
        List<String> replies = converse("EHLO client.test", "AUTH PLAIN AGRhbmllbAB0aWdlcg==", "QUIT");

        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).doesNotContain("AUTH PLAIN");
        assertThat(replies.get(2)).startsWith("538 5.7.11 ");
    }
}
