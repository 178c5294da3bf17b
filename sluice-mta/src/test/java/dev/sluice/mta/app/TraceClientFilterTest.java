package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.WebSocketTexts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/admin/trace-smtp-client/v1}: each of KumoMTA's filters keeps out the conversation of a delivery that
 * differs in that property. Two deliveries differ in all of them: domain, routing domain, tenant, campaign, sender,
 * recipient (per message), egress pool, egress source, source and MX address (per connection).
 */
class TraceClientFilterTest extends MtaAppTestBase {
    private SmtpSink sinkB;

    @Test
    void everyFilterShowsOnlyTheMatchingConversation() throws Exception {
        sink = SmtpSink.builder().host("127.0.0.1").start();
        sinkB = SmtpSink.builder().host("127.0.0.2").start();
        try {
            run();
        } finally {
            sinkB.close();
        }
    }

    private void run() throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, MtaFixture.initWithListeners(dir) + """
                kumo.on('smtp_server_message_received', function(msg)
                  local k = msg:recipient().domain == 'a.test' and 'a' or 'b'
                  msg:set_meta('tenant', 'tenant-' .. k)
                  msg:set_meta('campaign', 'campaign-' .. k)
                  msg:set_meta('routing_domain', 'route-' .. k .. '.test')
                end)
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  local a = tenant == 'tenant-a'
                  return kumo.make_queue_config {
                    egress_pool = a and 'pool-a' or 'pool-b',
                    protocol = { smtp = { mx_list = { a and '127.0.0.1:%1$d' or '127.0.0.2:%2$d' } } },
                  }
                end)
                kumo.on('get_egress_pool', function(name)
                  return kumo.make_egress_pool { name = name,
                    entries = { { name = name == 'pool-a' and 'src-a' or 'src-b' } } }
                end)
                kumo.on('get_egress_source', function(name)
                  return kumo.make_egress_source { name = name,
                    source_address = name == 'src-a' and '127.0.0.1' or '127.0.0.3' }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { prohibited_hosts = {}, enable_tls = 'Disabled' }
                end)
                """.formatted(sink.port(), sinkB.port()));
        app = MtaFixture.start(file);

        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("domain", "[\"a.test\"]");
        filters.put("routing_domain", "[\"route-a.test\"]");
        filters.put("tenant", "[\"tenant-a\"]");
        filters.put("campaign", "[\"campaign-a\"]");
        filters.put("mail_from", "[\"x@sender-a.test\"]");
        filters.put("rcpt_to", "[\"rcpt@a.test\"]");
        filters.put("egress_pool", "[\"pool-a\"]");
        filters.put("egress_source", "[\"src-a\"]");
        filters.put("source_addr", "[\"127.0.0.1/32\"]");
        filters.put("mx_addr", "[\"127.0.0.1/32\"]");
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("ws://" + MtaFixture.hostPort(app.httpAddresses().getFirst())
                + "/api/admin/trace-smtp-client/v1");
        Map<String, WebSocketTexts> traces = new LinkedHashMap<>();
        List<WebSocket> sockets = new ArrayList<>();
        for (var f : filters.entrySet()) {
            WebSocketTexts texts = new WebSocketTexts();
            WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, texts).get(30, java.util.concurrent.TimeUnit.SECONDS);
            ws.sendText("{\"" + f.getKey() + "\": " + f.getValue() + "}", true).get();
            traces.put(f.getKey(), texts);
            sockets.add(ws);
        }
        WebSocketTexts all = new WebSocketTexts();
        WebSocket unfiltered = http.newWebSocketBuilder().buildAsync(uri, all).get(30, java.util.concurrent.TimeUnit.SECONDS);
        unfiltered.sendText("{}", true).get();
        Thread.sleep(500); // the requests are read

        send("x@sender-a.test", "rcpt@a.test");
        send("y@sender-b.test", "rcpt@b.test");
        sink.awaitMessages(1, WAIT);
        sinkB.awaitMessages(1, WAIT);
        List<String> everything = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            all.pending().drainTo(everything);
            return everything.stream().anyMatch(t -> t.contains("RCPT TO:<rcpt@b.test>"))
                    && everything.stream().anyMatch(t -> t.contains("RCPT TO:<rcpt@a.test>"));
        });
        Thread.sleep(1000); // what the filtered traces get has arrived too

        for (var e : traces.entrySet()) {
            List<String> got = new ArrayList<>();
            e.getValue().pending().drainTo(got);
            assertThat(got).as(e.getKey() + " shows the matching conversation")
                    .anyMatch(t -> t.contains("RCPT TO:<rcpt@a.test>"));
            assertThat(got).as(e.getKey() + " keeps the other one out")
                    .noneMatch(t -> t.contains("rcpt@b.test") || t.contains("y@sender-b.test"));
            if (List.of("egress_pool", "egress_source", "source_addr", "mx_addr").contains(e.getKey())) {
                // known from the connection's start: none of the other connection's events at all
                assertThat(got).as(e.getKey() + " keeps the other connection out")
                        .noneMatch(t -> t.contains("127.0.0.2:") || t.contains("pool-b"));
            }
        }
        sockets.forEach(WebSocket::abort);
        unfiltered.abort();
    }

    private void send(String from, String to) {
        var result = CommandTool.SWAKS.run("--server", MtaFixture.hostPort(app.esmtpAddresses().getFirst()),
                "--from", from, "--to", to, "--helo", "client.test");
        assertThat(result.ok()).as(result.stdout()).isTrue();
    }
}
