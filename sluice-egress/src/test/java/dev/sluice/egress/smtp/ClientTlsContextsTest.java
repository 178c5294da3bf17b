package dev.sluice.egress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.egress.TlsMode;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * The client TLS contexts are built at the first STARTTLS that needs them, not when the MTA starts (building the
 * verifying one reads the JDK's trust store), and each at most once.
 */
class ClientTlsContextsTest {

    private static SslContext context() {
        try {
            return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Supplier<SslContext> counting(AtomicInteger builds) {
        return () -> {
            builds.incrementAndGet();
            return context();
        };
    }

    @Test
    void nothingIsBuiltUntilAStarttlsAsksAndEachContextOnce() {
        var verifyingBuilds = new AtomicInteger();
        var insecureBuilds = new AtomicInteger();
        var contexts = ClientTlsContexts.lazy(counting(verifyingBuilds), counting(insecureBuilds));
        var options = SmtpClientOptions.defaults("client.example").withTls(contexts, "mx.example");

        assertThat(options.tlsContexts()).isSameAs(contexts);
        assertThat(verifyingBuilds.get() + insecureBuilds.get()).isZero();

        SslContext first = contexts.forMode(TlsMode.Opportunistic);
        assertThat(contexts.forMode(TlsMode.Required)).isSameAs(first);
        assertThat(verifyingBuilds).hasValue(1);
        assertThat(insecureBuilds).hasValue(0);

        assertThat(contexts.forMode(TlsMode.OpportunisticInsecure)).isNotSameAs(first)
                .isSameAs(contexts.forMode(TlsMode.RequiredInsecure));
        assertThat(insecureBuilds).hasValue(1);
    }

    @Test
    void deliveriesAskingAtOnceGetOneContext() throws Exception {
        var builds = new AtomicInteger();
        var contexts = ClientTlsContexts.lazy(counting(builds), ClientTlsContextsTest::context);
        var go = new CountDownLatch(1);
        List<CompletableFuture<SslContext>> asks = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            asks.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return contexts.forMode(TlsMode.Required);
            }));
        }
        go.countDown();

        SslContext first = asks.getFirst().get();
        for (var ask : asks) {
            assertThat(ask.get()).isSameAs(first);
        }
        assertThat(builds).hasValue(1);
    }

    @Test
    void theSystemDefaultIsMadeWithoutBuildingAndBuildsAtFirstUse() {
        // the default options (every delivery without a policy's own trust) name it; nothing is built by that
        ClientTlsContexts contexts = SmtpClientOptions.defaults("client.example").tlsContexts();
        assertThat(contexts).isSameAs(ClientTlsContexts.systemDefault());

        assertThat(contexts.forMode(TlsMode.Required)).isNotNull().isSameAs(contexts.verifying());
        assertThat(contexts.forMode(TlsMode.RequiredInsecure)).isNotNull().isSameAs(contexts.insecure());
    }
}
