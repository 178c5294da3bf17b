package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The two client TLS contexts STARTTLS may use: {@code verifying} checks the chain against its trust
 * store and the host name (the options' sni host name) against the certificate; {@code insecure} accepts
 * any certificate (the *Insecure modes). Build once and share: contexts are expensive.
 */
public record ClientTlsContexts(SslContext verifying, SslContext insecure) {

    public ClientTlsContexts {
        Objects.requireNonNull(verifying, "verifying");
        Objects.requireNonNull(insecure, "insecure");
    }

    /** Verifying against the JDK's default trust store (the public CAs); built once, shared. */
    public static ClientTlsContexts systemDefault() {
        return SystemDefault.INSTANCE;
    }

    private static final class SystemDefault {
        static final ClientTlsContexts INSTANCE = build();
    }

    private static ClientTlsContexts build() {
        try {
            return new ClientTlsContexts(SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build(),
                    insecureContext());
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the default client TLS context", e);
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

    private static SslContext insecureContext() throws SSLException {
        // No chain check and no host name check: the lab-only *Insecure modes.
        return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null).build();
    }

    public SslContext forMode(TlsMode mode) {
        return mode.allowsInsecure() ? insecure : verifying;
    }
}
