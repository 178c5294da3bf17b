package dev.sluice.net;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Server and client {@link SslContext}s from PEM bytes, and self-signed certificates for a host name. */
public final class Tls {
    private Tls() {}

    /** A self-signed certificate and its key, both also available as PEM. */
    public record SelfSigned(X509Certificate certificate, KeyPair keyPair, byte[] certificatePem, byte[] privateKeyPem) {}

    /** A server context from a PEM certificate chain and a PEM (PKCS#8) private key. */
    public static SslContext serverContext(byte[] certificateChainPem, byte[] privateKeyPem) throws SSLException {
        Objects.requireNonNull(certificateChainPem, "certificateChainPem");
        Objects.requireNonNull(privateKeyPem, "privateKeyPem");
        return SslContextBuilder.forServer(new ByteArrayInputStream(certificateChainPem), new ByteArrayInputStream(privateKeyPem))
                .build();
    }

    /** A server context with a fresh self-signed certificate for {@code hostname}. */
    public static SslContext selfSignedServerContext(String hostname) throws SSLException {
        SelfSigned s = selfSigned(hostname);
        return SslContextBuilder.forServer(s.keyPair().getPrivate(), s.certificate()).build();
    }

    /** A client context trusting only the CA certificates in {@code caPem}. */
    public static SslContext clientContext(byte[] caPem) throws SSLException {
        return SslContextBuilder.forClient().trustManager(new ByteArrayInputStream(caPem)).build();
    }

    /** A client context trusting the JDK's default CA certificates. */
    public static SslContext systemClientContext() throws SSLException {
        return SslContextBuilder.forClient().build();
    }

    /** A client context that trusts any server certificate (tests, opportunistic TLS). */
    public static SslContext insecureClientContext() throws SSLException {
        return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    }

    /** Generates an EC P-256 key and a self-signed certificate (CN and DNS SAN = hostname), valid for a year. */
    public static SelfSigned selfSigned(String hostname) {
        Objects.requireNonNull(hostname, "hostname");
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair kp = gen.generateKeyPair();
            X500Name name = new X500Name("CN=" + hostname.replace(",", "\\,"));
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(365))), name, kp.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, hostname)));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
            return new SelfSigned(cert, kp, pem(cert), pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(kp.getPrivate(), null)));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate for " + hostname, e);
        }
    }

    private static byte[] pem(Object o) throws java.io.IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
