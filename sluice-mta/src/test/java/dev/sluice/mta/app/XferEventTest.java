package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code xfer_message_received(msg, auth_info)} on the node a message is transferred to (two MTAs): it runs for each
 * transferred message before it is stored, sees its restored queue and KumoMTA's AuthInfo, can change its meta, and
 * an error in it keeps the message on the sending node; an ordinary HTTP inject does not fire it.
 */
class XferEventTest extends MtaAppTestBase {
    private MtaApp receiver;

    /** An MTA whose only destination refuses connections (what it takes stays queued), with an HTTP listener. */
    private MtaApp start(String name, String extraLua) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Path file = d.resolve("policy.lua");
        Files.writeString(file, MtaFixture.initWithListeners(d) + """
                kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
                  return kumo.make_queue_config {
                    retry_interval = '1h',
                    protocol = { smtp = { mx_list = { '127.0.0.1:%1$d' } } },
                  }
                end)
                kumo.on('get_egress_path_config', function(domain, source, site)
                  return kumo.make_egress_path { enable_tls = 'Disabled' }
                end)
                %2$s
                """.formatted(FreePorts.tcp(), extraLua));
        return MtaFixture.start(file);
    }

    private static String http(MtaApp mta) {
        return "http://" + MtaFixture.hostPort(mta.httpAddresses().getFirst());
    }

    private static HttpResponse<String> post(MtaApp mta, String path, String json) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http(mta) + path))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Suspends slow.test on each: what they take stays in its scheduled queue. */
    private static void hold(MtaApp... mtas) throws Exception {
        for (MtaApp mta : mtas) {
            assertThat(post(mta, "/api/admin/suspend/v1",
                    "{\"domain\":\"slow.test\",\"reason\":\"hold\",\"duration\":\"1h\"}").statusCode())
                    .isEqualTo(200);
        }
    }

    private static List<Message> waiting(MtaApp mta, String queue) {
        return mta.queues().waiting(queue, 100).stream().map(ScheduledQueues.Queued::message).toList();
    }

    @Test
    void theReceivingNodeRunsTheEventForTransferredMessagesOnly() throws Exception {
        app = start("a", "");
        receiver = start("b", """
                kumo.on('xfer_message_received', function(msg, auth_info)
                  if msg:recipient().user == 'refused' then error('not this one') end
                  local restored = msg:get_meta('xfer_queue_info') == nil
                  msg:set_meta('seen_by_event', restored and 'queue info restored' or 'queue info not restored')
                  msg:set_meta('event_peer', auth_info.peer_address)
                  msg:set_meta('event_identities', #auth_info.identities)
                end)
                """);
        try {
            hold(app, receiver);
            MtaFixture.sendAccepted(app, "a@slow.test", "moving");
            MtaFixture.sendAccepted(app, "refused@slow.test", "staying");
            await().atMost(WAIT).until(() -> waiting(app, "slow.test").size() == 2);

            assertThat(post(app, "/api/admin/xfer/v1", "{\"domain\":\"slow.test\",\"target\":\"" + http(receiver)
                    + "\",\"reason\":\"test\"}").statusCode()).isEqualTo(200);
            await().atMost(WAIT).until(() -> waiting(receiver, "slow.test").size() == 1);
            Message moved = waiting(receiver, "slow.test").getFirst();
            assertThat(moved.recipient()).isEqualTo("a@slow.test");
            assertThat(moved.meta("seen_by_event")).isEqualTo("queue info restored");
            assertThat(moved.meta("event_peer")).isEqualTo("127.0.0.1");
            assertThat(((Number) moved.meta("event_identities")).intValue()).isZero();
            // the event's error answers 500: the sender keeps the message in its transfer queue
            String xferQueue = http(receiver) + "/.xfer.kumomta.internal";
            await().atMost(WAIT).until(() -> waiting(app, xferQueue).size() == 1);
            assertThat(waiting(app, xferQueue).getFirst().recipient()).isEqualTo("refused@slow.test");
            assertThat(waiting(receiver, "slow.test")).hasSize(1);

            // an ordinary inject does not fire it
            assertThat(post(receiver, "/api/inject/v1", """
                    {"envelope_sender": "s@example.test", "recipients": [{"email": "plain@slow.test"}],
                     "content": "Subject: plain\\r\\n\\r\\nhello\\r\\n"}""").statusCode()).isEqualTo(200);
            await().atMost(WAIT).until(() -> waiting(receiver, "slow.test").size() == 2);
            Message plain = waiting(receiver, "slow.test").stream()
                    .filter(m -> m.recipient().equals("plain@slow.test")).findFirst().orElseThrow();
            assertThat(plain.meta("seen_by_event")).isNull();
        } finally {
            receiver.shutdown(java.time.Duration.ofSeconds(5));
        }
    }

    @Test
    void kumoXferFunctionsBindAMessageToAnotherNodeFromThePolicy() throws Exception {
        receiver = start("b", """
                kumo.on('xfer_message_received', function(msg) msg:set_meta('seen_by_event', 'yes') end)
                """);
        try {
            app = start("a", """
                    kumo.on('smtp_server_message_received', function(msg)
                      local user = msg:recipient().user
                      kumo.xfer.xfer(msg, 'TARGET', 'policy moves ' .. user)
                      kumo.xfer.xfer(msg, 'TARGET') -- already bound there: no change, no record
                      msg:set_meta('target_seen', kumo.xfer.get_xfer_target(msg))
                      if user == 'back' then
                        kumo.xfer.cancel_xfer(msg, 'changed my mind')
                        msg:set_meta('target_after_cancel', kumo.xfer.get_xfer_target(msg) or 'none')
                      end
                    end)
                    """.replace("TARGET", http(receiver)));
            hold(app, receiver);
            MtaFixture.sendAccepted(app, "move@slow.test", "moved by the policy");
            MtaFixture.sendAccepted(app, "back@slow.test", "kept");

            await().atMost(WAIT).until(() -> waiting(receiver, "slow.test").size() == 1);
            Message moved = waiting(receiver, "slow.test").getFirst();
            assertThat(moved.recipient()).isEqualTo("move@slow.test");
            assertThat(moved.meta("target_seen")).isEqualTo(http(receiver) + "/");
            assertThat(moved.meta("seen_by_event")).isEqualTo("yes");
            await().atMost(WAIT).until(() -> waiting(app, "slow.test").size() == 1);
            Message kept = waiting(app, "slow.test").getFirst();
            assertThat(kept.recipient()).isEqualTo("back@slow.test");
            assertThat(kept.meta("target_after_cancel")).isEqualTo("none");
            assertThat(kept.meta(dev.sluice.mta.queue.XferQueue.META_INFO)).isNull();
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    MtaFixture.records(dir.resolve("a"), dev.sluice.mta.log.RecordType.AdminRebind))
                    .extracting(r -> r.response().content())
                    .containsExactlyInAnyOrder(
                            "Rebound to " + http(receiver) + "/.xfer.kumomta.internal with reason: policy moves move",
                            "Rebound to " + http(receiver) + "/.xfer.kumomta.internal with reason: policy moves back",
                            "Rebound to slow.test with reason: changed my mind"));
        } finally {
            receiver.shutdown(java.time.Duration.ofSeconds(5));
        }
    }
}
