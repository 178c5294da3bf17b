package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The two client TLS contexts STARTTLS may use: {@code verifying} checks the chain against its trust
 * store and the host name (the options' sni host name) against the certificate; {@code insecure} accepts
 * any certificate (the *Insecure modes). Build once and share: contexts are expensive. Each is built when it is
 * first asked for (the first STARTTLS of that kind), not when this object is made: the JDK's trust store is read
 * at the first delivery that needs it, not on the MTA's start-up path.
 */
public final class ClientTlsContexts {
    private final Lazy verifying;
    private final Lazy insecure;

    public ClientTlsContexts(SslContext verifying, SslContext insecure) {
        Objects.requireNonNull(verifying, "verifying");
        Objects.requireNonNull(insecure, "insecure");
        this.verifying = new Lazy(() -> verifying);
        this.insecure = new Lazy(() -> insecure);
    }

    private ClientTlsContexts(Supplier<SslContext> verifying, Supplier<SslContext> insecure) {
        this.verifying = new Lazy(verifying);
        this.insecure = new Lazy(insecure);
    }

    /** Contexts built by the suppliers at their first use, each at most once (also when threads ask at once). */
    public static ClientTlsContexts lazy(Supplier<SslContext> verifying, Supplier<SslContext> insecure) {
        return new ClientTlsContexts(Objects.requireNonNull(verifying, "verifying"),
                Objects.requireNonNull(insecure, "insecure"));
    }

    /** Verifying against the JDK's default trust store (the public CAs); built at first use, shared. */
    public static ClientTlsContexts systemDefault() {
        return SystemDefault.INSTANCE;
    }

    private static final class SystemDefault {
        static final ClientTlsContexts INSTANCE = lazy(() -> build(SslContextBuilder.forClient()
                .endpointIdentificationAlgorithm("HTTPS"), "cannot build the default client TLS context"),
                ClientTlsContexts::insecureContext);
    }

    private static SslContext build(SslContextBuilder builder, String failure) {
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException(failure, e);
        }
    }

    /** Verifying against only the CA (or self-signed) certificates in {@code caPem}. */
    public static ClientTlsContexts trusting(byte[] caPem) {
        try {
            return new ClientTlsContexts(SslContextBuilder.forClient().trustManager(new ByteArrayInputStream(caPem))
                    .endpointIdentificationAlgorithm("HTTPS").build(), insecureContext());
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot build a client TLS context from the given CA certificates", e);
        }
    }

    private static SslContext insecureContext() {
        // No chain check and no host name check: the lab-only *Insecure modes.
        return build(SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null), "cannot build the insecure client TLS context");
    }

    public SslContext verifying() {
        return verifying.get();
    }

    public SslContext insecure() {
        return insecure.get();
    }

    public SslContext forMode(TlsMode mode) {
        return mode.allowsInsecure() ? insecure() : verifying();
    }

    /** One context, built by its supplier at the first {@link #get}; a failed build is tried again next time. */
    private static final class Lazy {
        private final Supplier<SslContext> supplier;
        private volatile SslContext value;

        Lazy(Supplier<SslContext> supplier) {
            this.supplier = supplier;
        }

        SslContext get() {
            SslContext v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        v = Objects.requireNonNull(supplier.get(), "a client TLS context supplier returned null");
                        value = v;
                    }
                }
            }
            return v;
        }
    }
}
