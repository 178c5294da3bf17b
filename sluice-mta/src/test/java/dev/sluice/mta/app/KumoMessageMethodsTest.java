package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static dev.sluice.mta.app.MtaFixture.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.log.RecordType;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.DumpedMessage;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KumoMTA's message methods in {@code smtp_server_message_received}, driven by swaks through the real ESMTP
 * listener; what the accessors return and what the header edits did is read from the delivered message.
 */
class KumoMessageMethodsTest extends MtaAppTestBase {
    private DumpedMessage send(String lua, String... extra) throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", lua));
        List<String> args = new ArrayList<>(List.of("--server", hostPort(app.esmtpAddresses().getFirst()),
                "--from", "alice.smith@example.org", "--to", "bob@example.test", "--helo", "client.test",
                "--header", "From: Alice Smith <alice.smith@example.org>",
                "--header", "To: bob@example.test, \"Carol, C.\" <carol@example.net>",
                "--add-header", "X-Tag: one", "--add-header", "X-Tag: two",
                "--add-header", "X-Campaign-Id: camp7", "--add-header", "X-Secret: s3cret",
                "--add-header", "Remove-Me: a", "--add-header", "remove-me: b",
                "--body", "hello body"));
        args.addAll(List.of(extra));
        ToolResult r = CommandTool.SWAKS.run(args.toArray(String[]::new));
        assertThat(r.ok()).as(r.describe()).isTrue();
        return sink.awaitMessages(1, WAIT).getFirst();
    }

    @Test
    void accessorsReturnWhatKumoMtaDocuments() throws Exception {
        DumpedMessage got = send("""
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  local s, r = msg:sender(), msg:recipient()
                  local from, to = msg:from_header(), msg:to_header()
                  local names = {}
                  for _, h in ipairs(msg:get_all_headers()) do names[#names + 1] = h[1] .. '=' .. #h[2] end
                  local all = msg:get_all_headers()
                  local tag_header
                  for _, h in ipairs(all) do if h[1] == 'X-Tag' then tag_header = h[2]; break end end
                  local to_list = {}
                  for _, a in ipairs(to.list) do to_list[#to_list + 1] = tostring(a.name) .. '/' .. a.email end
                  msg:set_meta('tenant', 'acme')
                  local parts = {
                    s.user, s.domain, s.email, tostring(s), 'to ' .. r, r.domain,
                    #msg:id(), tostring(msg:id():match('^%x+$') ~= nil),
                    msg:get_first_named_header_value('x-tag'),
                    table.concat(msg:get_all_named_header_values('X-TAG'), ','),
                    #msg:get_all_named_header_values('nope'),
                    tostring(msg:get_first_named_header_value('nope')),
                    tag_header,
                    from.name, from.email, from.user, from.domain,
                    #to.list, table.concat(to_list, ','),
                    tostring(pcall(function() return to.email end)),
                    msg:queue_name(),
                    tostring(msg:get_data():find('hello body', 1, true) ~= nil),
                    tostring(msg:from_header() ~= nil and msg:get_first_named_header_value('Cc') == nil),
                  }
                  msg:append_header('X-Seen', table.concat(parts, '|'))
                end)
                """);

        assertThat(got.header("X-Seen")).contains(String.join("|",
                "alice.smith", "example.org", "alice.smith@example.org", "alice.smith@example.org",
                "to bob@example.test", "example.test",
                "32", "true",
                "one", "one,two", "0", "nil", "one",
                "Alice Smith", "alice.smith@example.org", "alice.smith", "example.org",
                "2", "nil/bob@example.test,Carol, C./carol@example.net",
                "false",
                "acme@example.test",
                "true", "true"));
    }

    @Test
    void headerEditsChangeWhatIsDelivered() throws Exception {
        DumpedMessage got = send("""
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  msg:import_x_headers { 'x-campaign-id' }
                  msg:set_meta('tenant', msg:get_meta('x_campaign_id'))
                  msg:remove_x_headers { 'X-Secret' }
                  msg:remove_all_named_headers('REMOVE-ME')
                  msg:prepend_header('X-First', 'at the top')
                  msg:append_header('X-Last', 'at the end')
                  msg:prepend_header('X-Encoded', 'héllo wörld', true)
                  msg:append_header('X-Tagged-Meta', tostring(msg:get_meta('x_tag')))
                end)
                """);

        List<String> names = got.headers().stream().map(Map.Entry::getKey).toList();
        assertThat(names).doesNotContain("X-Secret").doesNotContain("Remove-Me").doesNotContain("remove-me");
        assertThat(names).contains("X-Tag", "X-Campaign-Id", "X-Mailer");
        // prepended before everything the message had (Sluice's Received trace header included; the sink adds
        // its own Received and X-* lines above), appended after
        assertThat(names.indexOf("X-Encoded")).isLessThan(names.indexOf("X-First"));
        assertThat(names.indexOf("X-First")).as(names.toString()).isEqualTo(names.lastIndexOf("Received") - 1);
        assertThat(names.getLast()).isEqualTo("X-Tagged-Meta");
        assertThat(names.indexOf("X-Last")).isGreaterThan(names.indexOf("X-Tag"));
        assertThat(got.header("X-Encoded")).contains("=?UTF-8?q?h=C3=A9llo_w=C3=B6rld?=");
        // only the named header was imported into the meta
        assertThat(got.header("X-Tagged-Meta")).contains("nil");
        assertThat(got.body()).contains("hello body");
        await().atMost(WAIT).until(() -> !records(dir, RecordType.Reception).isEmpty());
        assertThat(records(dir, RecordType.Reception).getFirst().queue()).isEqualTo("camp7@example.test");
    }

    @Test
    void removeXHeadersWithoutNamesAndSetDataFromGetData() throws Exception {
        DumpedMessage got = send("""
                kumo.on('smtp_server_message_received', function(msg, conn_meta)
                  msg:import_x_headers()
                  msg:remove_x_headers()
                  msg:set_data((msg:get_data():gsub('hello body', 'bye body')))
                  msg:append_header('X-Imported', msg:get_meta('x_tag') .. ',' .. msg:get_meta('x_secret'))
                end)
                """);

        List<String> names = got.headers().stream().map(Map.Entry::getKey).toList();
        assertThat(names).doesNotContain("X-Tag", "X-Secret", "X-Campaign-Id", "X-Mailer");
        // import_x_headers keeps the first... or last value of a repeated header: KumoMTA's meta holds one value
        assertThat(got.header("X-Imported")).hasValueSatisfying(v -> assertThat(v).endsWith(",s3cret"));
        assertThat(got.body()).contains("bye body").doesNotContain("hello body");
    }
}
