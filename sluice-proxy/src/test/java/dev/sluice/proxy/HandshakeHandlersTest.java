package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The handshake handler ({@link SocksHandshake}) on an EmbeddedChannel: bytes in, bytes out. */
class HandshakeHandlersTest {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final ProxyMetrics metrics = new ProxyMetrics(registry);
    final java.util.List<EmbeddedChannel> channels = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void releaseEverything() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    EmbeddedChannel channel(Authenticator auth, UnaryOperator<ProxyListenerConfig.Builder> cfg) {
        ProxyListenerConfig c = cfg.apply(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 1080))
                .timeout(Duration.ofSeconds(2))).build();
        Listener l = new Listener(c, "127.0.0.1:1080", new AccessPolicy(c, HostAddresses.of(java.util.List.of())), auth, metrics, null, new SessionRegistry());
        EmbeddedChannel ch = new EmbeddedChannel();
        ListenerInitializer.startSocks(new Session(l, ch));
        channels.add(ch);
        return ch;
    }

    EmbeddedChannel channel() {
        return channel(null, b -> b);
    }

    static void in(EmbeddedChannel ch, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        ch.writeInbound(Unpooled.wrappedBuffer(b));
    }

    static String out(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            sb.append(ByteBufUtil.hexDump(b));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void noAuthGreetingSelects00AndWaitsForARequest() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 1, 0);
        assertThat(out(ch)).isEqualTo("0500");
        assertThat(ch.isOpen()).isTrue();
        assertAtTheRequest(ch);
    }

    /** The next bytes are taken as a request: a UDP ASSOCIATE gets 0x07. */
    static void assertAtTheRequest(EmbeddedChannel ch) {
        in(ch, 5, 3, 0, 1, 127, 0, 0, 1, 0, 53);
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05070001000000000000");
        assertThat(ch.isOpen()).isFalse();
    }

    static final Authenticator GRANT_ALL = (u, p, m) -> CompletableFuture.completedFuture(AuthDecision.granted(u));

    @Test
    void withAnAuthenticatorPasswordOfferedIsSelectedEvenWhenAuthIsNotRequired() {
        EmbeddedChannel ch = channel(GRANT_ALL, b -> b);
        in(ch, 5, 2, 0, 2);
        assertThat(out(ch)).isEqualTo("0502");
        in(ch, 1, 1, 'a', 1, 'b');
        ch.runPendingTasks();
        assertThat(out(ch)).as("the next bytes are credentials").isEqualTo("0100");
    }

    /** curl -U user:pass offers 0x00 and 0x02: with nothing to check the password, it must get 0x00 and go on. */
    @Test
    void withoutAnAuthenticatorNoAuthIsChosenAlthoughPasswordIsOffered() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 2, 0, 2);
        assertThat(out(ch)).isEqualTo("0500");
        assertThat(ch.isOpen()).isTrue();
        assertAtTheRequest(ch);
    }

    @Test
    void withoutAnAuthenticatorOnlyPasswordOfferedIsFF() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 1, 2);
        assertThat(out(ch)).isEqualTo("05ff");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void requireAuthWithoutPasswordMethodIsFFAndClose() {
        EmbeddedChannel ch = channel(GRANT_ALL, b -> b.requireAuth(true));
        in(ch, 5, 1, 0);
        assertThat(out(ch)).isEqualTo("05ff");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void greetingWithWrongVersionClosesWithoutAReply() {
        EmbeddedChannel ch = channel();
        in(ch, 4, 1, 0, 0, 25, 127, 0, 0, 1, 0);
        assertThat(out(ch)).isEmpty();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void truncatedGreetingTimesOutWithNoBytes() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 3, 0);
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertThat(out(ch)).isEmpty();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void clientInputClosingDuringTheGreetingEndsTheSessionAtOnce() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 2, 0); // half a greeting
        ch.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertThat(out(ch)).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        var l = java.util.Map.of("listener", "127.0.0.1:1080");
        assertThat(TestSupport.metric(registry, "proxy_connections_failed_total", l)).isEqualTo(1);
        assertThat(TestSupport.metric(registry, "proxy_active_connections", l)).isZero();
    }

    @Test
    void clientInputClosingWhileTheAuthenticatorDecidesWaitsForTheAnswer() {
        CompletableFuture<AuthDecision> pending = new CompletableFuture<>();
        EmbeddedChannel ch = channel((u, p, m) -> pending, b -> b);
        in(ch, 5, 1, 2);
        in(ch, 1, 1, 'a', 1, 'b');
        ch.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertThat(ch.isOpen()).as("the request is whole; its answer is still owed").isTrue();
        pending.complete(AuthDecision.denied());
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05020101");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void authenticatorAnswerArrivingLaterOnAnotherThreadIsHonoured() throws Exception {
        CompletableFuture<AuthDecision> pending = new CompletableFuture<>();
        EmbeddedChannel ch = channel((u, p, m) -> pending, b -> b.requireAuth(true));
        in(ch, 5, 1, 2);
        assertThat(out(ch)).isEqualTo("0502");
        in(ch, 1, 1, 'a', 1, 'b');
        assertThat(out(ch)).isEmpty(); // nothing until the authenticator answers
        Thread t = new Thread(() -> pending.complete(AuthDecision.granted("a")));
        t.start();
        t.join();
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("0100");
        assertAtTheRequest(ch);
    }

    @Test
    void authenticatorFailureIsADenial() {
        EmbeddedChannel ch = channel((u, p, m) -> CompletableFuture.failedFuture(new IllegalStateException("lua error")), b -> b);
        in(ch, 5, 1, 2);
        in(ch, 1, 1, 'a', 1, 'b');
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05020101");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void authSubnegotiationWithWrongVersionIs0101() {
        EmbeddedChannel ch = channel((u, p, m) -> CompletableFuture.completedFuture(AuthDecision.granted(u)), b -> b);
        in(ch, 5, 1, 2);
        in(ch, 5, 1, 'a', 1, 'b');
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05020101");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void clientFloodingAheadOfTheHandshakeIsCut() {
        EmbeddedChannel ch = channel((u, p, m) -> new CompletableFuture<>(), b -> b);
        in(ch, 5, 1, 2);
        in(ch, 1, 1, 'a', 1, 'b');
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[70 * 1024]));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void requestWithWrongVersionIs01AndClose() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 1, 0);
        in(ch, 6, 1, 0, 1, 127, 0, 0, 1, 0, 25);
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("0500" + "05010001000000000000");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void udpAssociateIs07AndDomainIs08() {
        EmbeddedChannel udp = channel();
        in(udp, 5, 1, 0);
        in(udp, 5, 3, 0, 1, 127, 0, 0, 1, 0, 53);
        udp.runPendingTasks();
        assertThat(out(udp)).isEqualTo("0500" + "05070001000000000000");
        assertThat(udp.isOpen()).isFalse();

        EmbeddedChannel dom = channel();
        in(dom, 5, 1, 0);
        in(dom, 5, 1, 0, 3, 1, 'x', 0, 25);
        dom.runPendingTasks();
        assertThat(out(dom)).isEqualTo("0500" + "05080001000000000000");
    }

    @Test
    void refusalsAreCountedAsCompletedAndMalformedAsFailed() {
        EmbeddedChannel udp = channel();
        in(udp, 5, 1, 0);
        in(udp, 5, 3, 0, 1, 127, 0, 0, 1, 0, 53);
        udp.runPendingTasks();
        EmbeddedChannel bad = channel();
        in(bad, 7);
        bad.runPendingTasks();
        var l = java.util.Map.of("listener", "127.0.0.1:1080");
        assertThat(TestSupport.metric(registry, "proxy_connections_completed_total", l)).isEqualTo(1);
        assertThat(TestSupport.metric(registry, "proxy_connections_failed_total", l)).isEqualTo(1);
        assertThat(TestSupport.metric(registry, "proxy_connections_accepted_total", l)).isEqualTo(2);
        assertThat(TestSupport.metric(registry, "proxy_active_connections", l)).isZero();
    }

    @Test
    void utf8CredentialsReachTheAuthenticatorIntact() {
        CompletableFuture<String> seen = new CompletableFuture<>();
        EmbeddedChannel ch = channel((u, p, m) -> {
            seen.complete(u + "/" + p);
            return CompletableFuture.completedFuture(AuthDecision.granted(u));
        }, b -> b);
        in(ch, 5, 1, 2);
        byte[] user = "jürgen".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] pass = "pässwört".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuf req = Unpooled.buffer();
        req.writeByte(1).writeByte(user.length).writeBytes(user).writeByte(pass.length).writeBytes(pass);
        ch.writeInbound(req);
        ch.runPendingTasks();
        assertThat(seen.getNow(null)).isEqualTo("jürgen/pässwört");
        assertThat(out(ch)).isEqualTo("05020100");
    }

    @Test
    void invalidUtf8CredentialsAreRefusedWithoutAskingTheAuthenticator() {
        CompletableFuture<String> seen = new CompletableFuture<>();
        EmbeddedChannel ch = channel((u, p, m) -> {
            seen.complete(u);
            return CompletableFuture.completedFuture(AuthDecision.granted(u));
        }, b -> b);
        in(ch, 5, 1, 2);
        in(ch, 1, 1, 0xC3, 1, 'x'); // a lone UTF-8 lead byte
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05020101");
        assertThat(seen).isNotDone();
        assertThat(ch.isOpen()).isFalse();
    }

    /** Found by the fuzz test of the old RFC 1929 decoder: bytes after a malformed request must not be used. */
    @Test
    void bytesAfterAMalformedCredentialsRequestAreNotTakenAsARequest() {
        EmbeddedChannel ch = channel(GRANT_ALL, b -> b);
        in(ch, 5, 1, 2);
        in(ch, 1, 1, 0xa9, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 25); // user "\xa9" (not UTF-8), then a CONNECT
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("05020101");
        assertThat(ch.isOpen()).isFalse();
    }

    /** A client sending greeting and request in one segment (no waiting for 05 00) gets both answers. */
    @Test
    void greetingAndRequestInOneSegmentAreBothAnswered() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 1, 0, 5, 3, 0, 1, 127, 0, 0, 1, 0, 53);
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("0500" + "05070001000000000000");
    }

    @Test
    void unknownAddressTypeIs08AndDomainNamesAreRefusedWith08() {
        EmbeddedChannel ch = channel();
        in(ch, 5, 1, 0);
        in(ch, 5, 1, 0, 9, 1, 2, 3, 4, 0, 25);
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("0500" + "05080001000000000000");
        assertThat(ch.isOpen()).isFalse();

        EmbeddedChannel dom = channel();
        in(dom, 5, 1, 0);
        in(dom, 5, 1, 0, 3, 3, 0xff, 0, 'x', 0, 25); // not even a valid name: still 08, not 01
        dom.runPendingTasks();
        assertThat(out(dom)).isEqualTo("0500" + "05080001000000000000");
    }

    @Test
    void aRequestArrivingByteByByteIsParsedWhole() {
        EmbeddedChannel ch = channel();
        for (int b : new int[] {5, 1, 0, 5, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53}) {
            in(ch, b);
        }
        ch.runPendingTasks();
        assertThat(out(ch)).isEqualTo("0500" + "05070001000000000000");
    }
}
