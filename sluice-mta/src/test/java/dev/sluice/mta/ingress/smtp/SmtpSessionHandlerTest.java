package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.ingress.Admission;
import dev.sluice.net.CidrSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link SmtpFramer} + {@link SmtpSessionHandler} in an {@link EmbeddedChannel} with frozen time: the command and
 * data deadlines, the per-client-address limit, and the refusals of malformed input, without sockets or waiting.
 */
class SmtpSessionHandlerTest {
    private static final String HOST = "mx.sluice.test";
    private final RecordingInjector injector = new RecordingInjector();
    private final ClientConnectionCounts counts = new ClientConnectionCounts();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel session(String client, UnaryOperator<EsmtpParams> change) throws Exception {
        EsmtpParams params = change.apply(EsmtpParams.defaults(HOST));
        var config = EsmtpListenerConfig.of(new InetSocketAddress("127.0.0.1", 25), params);
        var services = new EsmtpServices(injector, RelayPolicy.DENY_ALL, Admission.ALWAYS, Clock.systemUTC());
        var session = new SmtpSession("t" + channels.size(), services, params, new InetSocketAddress(client, 40000),
                new InetSocketAddress("127.0.0.1", 25));
        var framer = new SmtpFramer(params.lineLengthHardLimit());
        var ch = new EmbeddedChannel(false, false);
        ch.pipeline().addLast(framer, new SmtpSessionHandler(session, CommandDispatcher.standard(false),
                new MessageReceiver(), framer, null, config, counts, "127.0.0.1:25"));
        ch.register(); // greets, and arms the first deadline
        ch.freezeTime(); // from here on time moves only by advanceTimeBy
        channels.add(ch);
        return ch;
    }

    private static void send(EmbeddedChannel ch, String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        ch.runPendingTasks();
    }

    /** Everything the server wrote since the last call, as one string. */
    private static String output(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    private static void advance(EmbeddedChannel ch, Duration d) {
        ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
    }

    @Test
    void a_command_trickled_a_byte_a_second_gets_421_at_the_command_deadline() throws Exception {
        var ch = session("192.0.2.1", p -> p.withCommandDeadline(Duration.ofSeconds(5)));
        assertThat(output(ch)).isEqualTo("220 " + HOST + " Sluice ESMTP\r\n");
        String line = "EHLO a-rather-long-client-name.example\r\n";
        int i = 0;
        for (; i < 4; i++) {
            send(ch, line.substring(i, i + 1));
            advance(ch, Duration.ofSeconds(1));
        }
        assertThat(output(ch)).as("within the deadline").isEmpty();
        assertThat(ch.isActive()).isTrue();
        send(ch, line.substring(i, i + 1));
        advance(ch, Duration.ofSeconds(1));
        assertThat(output(ch)).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n");
        assertThat(ch.isActive()).isFalse();
    }

    @Test
    void each_command_gets_its_own_deadline_so_a_long_session_of_quick_commands_lives_on() throws Exception {
        var ch = session("192.0.2.1", p -> p.withCommandDeadline(Duration.ofSeconds(5)));
        output(ch);
        for (int i = 0; i < 10; i++) {
            advance(ch, Duration.ofSeconds(4));
            send(ch, "NOOP\r\n");
            assertThat(output(ch)).isEqualTo("250 2.0.0 OK\r\n");
        }
        assertThat(ch.isActive()).isTrue();
        advance(ch, Duration.ofSeconds(5));
        assertThat(output(ch)).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n");
    }

    @Test
    void a_bare_postmaster_is_this_hosts_postmaster_and_is_spooled_with_the_hosts_name() throws Exception {
        var ch = session("192.0.2.1", p -> p.withRelayHosts(CidrSet.of("192.0.2.0/24")));
        send(ch, "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<PostMaster>\r\nDATA\r\n");
        assertThat(output(ch)).contains("250 2.1.5 OK\r\n").endsWith("354 End data with <CR><LF>.<CR><LF>\r\n");
        send(ch, "Subject: hi\r\n\r\nhello\r\n.\r\n");
        assertThat(injector.messages()).singleElement()
                .satisfies(m -> assertThat(m.recipient()).isEqualTo("postmaster@" + HOST));
    }

    @Test
    void message_data_trickled_past_the_data_deadline_gets_421_and_nothing_is_injected() throws Exception {
        var ch = session("192.0.2.1", p -> p.withCommandDeadline(Duration.ofSeconds(5))
                .withDataDeadline(Duration.ofSeconds(8)).withRelayHosts(CidrSet.of("192.0.2.0/24")));
        send(ch, "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
        assertThat(output(ch)).endsWith("354 End data with <CR><LF>.<CR><LF>\r\n");
        for (int i = 0; i < 7; i++) {
            send(ch, "x");
            advance(ch, Duration.ofSeconds(1));
        }
        assertThat(output(ch)).as("past the command deadline, within the data deadline").isEmpty();
        send(ch, "\r\n");
        advance(ch, Duration.ofSeconds(1));
        assertThat(output(ch)).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n");
        assertThat(ch.isActive()).isFalse();
        assertThat(injector.calls).isEmpty();
    }

    @Test
    void after_the_data_the_command_deadline_applies_again() throws Exception {
        var ch = session("192.0.2.1", p -> p.withCommandDeadline(Duration.ofSeconds(5))
                .withDataDeadline(Duration.ofSeconds(60)).withRelayHosts(CidrSet.of("192.0.2.0/24")));
        send(ch, "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
        advance(ch, Duration.ofSeconds(30));
        send(ch, "Subject: x\r\n\r\nx\r\n.\r\n");
        assertThat(output(ch)).contains("250 2.0.0 OK ids=");
        assertThat(injector.calls).hasSize(1);
        advance(ch, Duration.ofSeconds(5));
        assertThat(output(ch)).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n");
    }

    @Test
    void connections_from_one_address_over_the_limit_get_421_instead_of_the_banner() throws Exception {
        UnaryOperator<EsmtpParams> limit2 = p -> p.withMaxConnectionsPerIp(2).withRelayHosts(CidrSet.of());
        var first = session("192.0.2.7", limit2);
        var second = session("192.0.2.7", limit2);
        assertThat(output(first)).startsWith("220 ");
        assertThat(output(second)).startsWith("220 ");
        var third = session("192.0.2.7", limit2);
        assertThat(output(third)).isEqualTo("421 4.7.0 " + HOST + " Error: too many connections from 192.0.2.7\r\n");
        assertThat(third.isActive()).isFalse();
        var other = session("192.0.2.8", limit2);
        assertThat(output(other)).as("another client address").startsWith("220 ");
        assertThat(counts.openFrom(java.net.InetAddress.getByName("192.0.2.7"))).isEqualTo(2);

        first.close();
        first.runPendingTasks();
        var fourth = session("192.0.2.7", limit2);
        assertThat(output(fourth)).as("a closed session frees its place").startsWith("220 ");
    }

    @Test
    void relay_hosts_are_not_counted_against_the_per_address_limit() throws Exception {
        UnaryOperator<EsmtpParams> limit1 = p -> p.withMaxConnectionsPerIp(1).withRelayHosts(CidrSet.of("10.0.0.0/8"));
        for (int i = 0; i < 3; i++) {
            assertThat(output(session("10.1.2.3", limit1))).startsWith("220 ");
        }
        assertThat(output(session("192.0.2.9", limit1))).startsWith("220 ");
        assertThat(output(session("192.0.2.9", limit1))).startsWith("421 4.7.0 ");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "EHLO a\u0000b|500 5.5.2 Error: bad syntax",
            "MAIL FROM:<a@[300.1.1.1]>|501 5.1.7 Bad sender address syntax",
            "MAIL FROM:<anne\u00CB@example.com>|553 5.6.7 Must declare SMTPUTF8 to send unicode address",
            "MAIL FROM:<llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll@example.com>"
                    + "|501 5.1.7 Bad sender address syntax",
            "MAIL FROM:<a@example.com> SIZE=99999999999999999999|552 5.3.4 Message size exceeds fixed limit",
            "RCPT TO:<b@[300.1.1.1]>|501 5.1.3 Bad recipient address syntax",
            "RCPT TO:<bart\u00CB@example.com>|553 5.6.7 Must declare SMTPUTF8 to send unicode address"})
    void malformed_input_gets_postfix_replies(String command, String reply) throws Exception {
        var ch = session("192.0.2.1", p -> p.withRelayHosts(CidrSet.of("192.0.2.0/24")));
        String setup = command.startsWith("RCPT") ? "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n"
                : command.startsWith("MAIL") ? "EHLO c.example\r\n" : "";
        send(ch, setup);
        output(ch);
        send(ch, command + "\r\n");
        assertThat(output(ch)).isEqualTo(reply + "\r\n");
        send(ch, "NOOP\r\n");
        assertThat(output(ch)).as("the session goes on").isEqualTo("250 2.0.0 OK\r\n");
    }
}
