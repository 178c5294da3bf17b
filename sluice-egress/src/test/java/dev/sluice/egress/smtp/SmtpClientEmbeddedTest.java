package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Wire-level cases no real peer here can produce: bytes left over by a proxy handshake, STARTTLS injection. */
class SmtpClientEmbeddedTest {
    private static void serverSays(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    }

    private static String clientSaid(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAutoRead(false);
        return ch;
    }

    @Test
    void bannerBytesReadByTheProxyHandshakeAreNotLost() {
        EmbeddedChannel ch = channel();
        CompletableFuture<SmtpConnection> f = SmtpClient.open(ch, SmtpClientOptions.defaults("c.example"),
                Unpooled.copiedBuffer("220 mx ESMTP\r\n", StandardCharsets.US_ASCII));
        ch.runPendingTasks();

        assertThat(clientSaid(ch)).isEqualTo("EHLO c.example\r\n");
        serverSays(ch, "250-mx\r\n250 PIPELINING\r\n");

        SmtpConnection c = f.join();
        assertThat(c.banner().content()).isEqualTo("mx ESMTP");
        assertThat(c.capabilities().pipelining()).isTrue();
    }

    @Test
    void dataSentAfterTheStarttlsReplyIsTreatedAsInjection() {
        EmbeddedChannel ch = channel();
        CompletableFuture<SmtpConnection> f = SmtpClient.open(ch, SmtpClientOptions.defaults("c.example")
                .withEnableTls(TlsMode.OpportunisticInsecure));
        ch.runPendingTasks();
        serverSays(ch, "220 mx\r\n");
        serverSays(ch, "250-mx\r\n250 STARTTLS\r\n");
        assertThat(clientSaid(ch)).endsWith("STARTTLS\r\n");

        serverSays(ch, "220 go ahead\r\n250 injected\r\n");

        SmtpOpenException e = (SmtpOpenException) f.handle((c, t) -> t).join();
        assertThat(e.response().content()).contains("possible injection");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void permanentBannerRefusalIsPermanent() {
        EmbeddedChannel ch = channel();
        CompletableFuture<SmtpConnection> f = SmtpClient.open(ch, SmtpClientOptions.defaults("c.example"));
        ch.runPendingTasks();
        serverSays(ch, "554 5.7.1 go away\r\n");

        SmtpOpenException e = (SmtpOpenException) f.handle((c, t) -> t).join();
        assertThat(e.asResult()).isEqualTo(new DeliveryResult.Permanent(
                new SmtpResponse(554, new EnhancedStatusCode(5, 7, 1), "go away", null)));
        assertThat(ch.isOpen()).isFalse();
    }
}
