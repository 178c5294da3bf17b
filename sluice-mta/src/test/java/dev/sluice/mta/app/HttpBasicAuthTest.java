package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code http_server_validate_auth_basic(user, password)} for the inject and admin routes, seen from curl on a
 * listener whose trusted_hosts do not include loopback.
 */
class HttpBasicAuthTest extends MtaAppTestBase {
    private static final String VALIDATE = """
            kumo.on('http_server_validate_auth_basic', function(user, password)
              return user == 'daniel' and password == 'tiger'
            end)
            """;
    private static final String BODY = "{\"envelope_sender\": \"noreply@example.test\", \"content\": "
            + "\"Subject: hi\\r\\n\\r\\nhello\", \"recipients\": [{\"email\": \"rcpt@example.test\"}]}";

    private void start(String extraLua) throws Exception {
        sink = SmtpSink.start();
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%1$s/spool', flush = false }
                  kumo.configure_local_logs { log_dir = '%1$s/logs' }
                  kumo.start_http_listener { listen = '127.0.0.1:0', trusted_hosts = { '192.0.2.1' } }
                end)
                kumo.on('get_queue_config', function()
                  return kumo.make_queue_config { protocol = { smtp = { mx_list = { '127.0.0.1:%2$d' } } } }
                end)
                kumo.on('get_egress_path_config', function()
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                kumo.on('http_message_generated', function(msg, auth)
                  msg:append_header('X-Http-Auth', auth .. ' ' .. msg:get_meta('http_auth'))
                end)
                """.formatted(dir.toAbsolutePath(), sink.port()) + extraLua);
        app = MtaFixture.start(policy);
    }

    /** curl -i: the status line and headers are in stdout. */
    private ToolResult curl(String path, String... extra) {
        List<String> args = new ArrayList<>(List.of("-s", "-i"));
        args.addAll(List.of(extra));
        args.add("http://" + hostPort(app.httpAddresses().getFirst()) + path);
        return CommandTool.CURL.run(args.toArray(String[]::new));
    }

    private ToolResult inject(String... extra) {
        List<String> args = new ArrayList<>(List.of("-H", "Content-Type: application/json", "--data", BODY));
        args.addAll(List.of(extra));
        return curl("/api/inject/v1", args.toArray(String[]::new));
    }

    @Test
    void acceptedCredentialsInjectFromOutsideTrustedHostsAsThatUser() throws Exception {
        start(VALIDATE);

        ToolResult anonymous = inject();
        ToolResult wrong = inject("-u", "daniel:lion");
        ToolResult ok = inject("-u", "daniel:tiger");
        ToolResult metrics = curl("/metrics", "-u", "daniel:tiger");

        assertThat(anonymous.stdout()).startsWith("HTTP/1.1 401").containsIgnoringCase("www-authenticate: Basic realm=");
        assertThat(wrong.stdout()).startsWith("HTTP/1.1 401").contains("authentication failed for daniel");
        assertThat(ok.stdout()).startsWith("HTTP/1.1 200").contains("\"success_count\":1");
        assertThat(metrics.stdout()).startsWith("HTTP/1.1 200");
        assertThat(sink.awaitMessages(1, WAIT).getFirst().header("X-Http-Auth")).hasValue("daniel daniel");
    }

    @Test
    void withoutAHandlerCredentialsAreRefused() throws Exception {
        start("");

        ToolResult r = inject("-u", "daniel:tiger");

        assertThat(r.stdout()).startsWith("HTTP/1.1 401").containsIgnoringCase("www-authenticate: Basic");
    }

    @Test
    void aFailingHandlerAnswers500() throws Exception {
        start("kumo.on('http_server_validate_auth_basic', function(user, password) error('directory down') end)\n");

        ToolResult r = inject("-u", "daniel:tiger");

        assertThat(r.stdout()).startsWith("HTTP/1.1 500").contains("try again later");
    }
}
