package dev.sluice.egress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

/**
 * The SOCKS5 client's reply decoding ({@link Socks5Handshake}) with fuzzed proxy answers, for a hop with or
 * without credentials and with or without a BIND source, against a model of what kumod accepts: method
 * selection, RFC 1929 status, [BIND reply], CONNECT reply. Once the proxy closes, the result is always complete:
 * successful exactly when the model accepts the answers (with the bound address and the bytes after the reply
 * that arrived with it; like a channel with autoRead off, nothing is fed once the result is complete), otherwise a {@link ConnectFailedException}. No exception escapes the pipeline and every
 * buffer is released.
 */
class Socks5ReplyFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void proxyReplies(FuzzedDataProvider data) throws UnknownHostException {
        boolean credentials = data.consumeBoolean();
        boolean bind = data.consumeBoolean();
        boolean v6 = data.consumeBoolean();
        byte[] sizes = data.consumeBytes(data.consumeInt(0, 8));
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        ProxyHop.Socks5 hop = new ProxyHop.Socks5("proxy.test:1080",
                bind ? InetAddress.getByName("192.0.2.7") : null,
                credentials ? "user" : null, credentials ? "secret".getBytes(StandardCharsets.UTF_8) : null, null);
        InetSocketAddress destination = new InetSocketAddress(
                InetAddress.getByName(v6 ? "2001:db8::25" : "198.51.100.25"), 25);
        var handshake = new Socks5Handshake(hop, destination, "proxy.test:1080");
        FuzzFeed feed = new FuzzFeed();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(feed.allocator);
        ch.pipeline().addLast(handshake);
        // The handshake reads with autoRead off: once it is done, nothing more reaches it.
        int fed = feed.feed(ch, input, sizes, handshake.result::isDone);
        ch.checkException();
        ch.close();
        ch.checkException();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ((ByteBuf) o).release();
        }

        assertThat(handshake.result).as("complete once the proxy closed").isDone();
        Model model = Model.of(input, credentials, bind);
        if (handshake.result.isCompletedExceptionally()) {
            try {
                handshake.result.join();
            } catch (CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(ConnectFailedException.class);
            }
            assertThat(model.ok).as("refused answers the model accepts").isFalse();
        } else {
            Socks5Handshake.Result r = handshake.result.join();
            byte[] rest = FuzzFeed.drain(r.rest());
            assertThat(model.ok).as("accepted answers the model refuses").isTrue();
            assertThat(r.boundAddress()).isEqualTo(model.bound);
            assertThat(model.end).isLessThanOrEqualTo(fed);
            assertThat(rest).as("the bytes after the reply that arrived with it").isEqualTo(
                    Arrays.copyOfRange(input, model.end, fed));
        }
        feed.assertReleased();
    }

    /** kumod's reading of the proxy's answers. */
    private record Model(boolean ok, InetSocketAddress bound, int end) {
        static final Model REFUSED = new Model(false, null, 0);

        static Model of(byte[] b, boolean credentials, boolean bind) throws UnknownHostException {
            int p = 0;
            if (b.length < 2 || b[0] != 5) {
                return REFUSED;
            }
            if (b[1] == 2 && credentials) {
                if (b.length < 4 || b[2] != 1 || b[3] != 0) {
                    return REFUSED;
                }
                p = 4;
            } else if (b[1] == 0) {
                p = 2;
            } else {
                return REFUSED;
            }
            if (bind) {
                int len = replyLength(b, p);
                if (len < 0 || b[p] != 5 || b[p + 1] != 0) {
                    return REFUSED;
                }
                p += len;
            }
            int len = replyLength(b, p);
            if (len < 0 || b[p] != 5 || b[p + 1] != 0 || b[p + 3] == 3) {
                return REFUSED;
            }
            byte[] addr = Arrays.copyOfRange(b, p + 4, p + len - 2);
            int port = ((b[p + len - 2] & 0xff) << 8) | (b[p + len - 1] & 0xff);
            return new Model(true, new InetSocketAddress(InetAddress.getByAddress(addr), port), p + len);
        }

        /** Length of the reply at {@code p}, or -1 if it is cut short or has an unknown address type. */
        private static int replyLength(byte[] b, int p) {
            if (b.length < p + 5) {
                return -1;
            }
            int len = switch (b[p + 3]) {
                case 1 -> 10;
                case 4 -> 22;
                case 3 -> 7 + (b[p + 4] & 0xff);
                default -> -1;
            };
            return len < 0 || b.length < p + len ? -1 : len;
        }
    }
}
