package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** The TLS handshake after a 220 reply to STARTTLS, bounded by the starttls timeout. Event-loop only. */
final class StartTls {
    private StartTls() {}

    static CompletableFuture<TlsInfo> handshake(SmtpWire wire, TlsMode mode, SslContext context, String sniHost,
                                                Duration timeout) {
        CompletableFuture<TlsInfo> done = new CompletableFuture<>();
        if (wire.decoder().hasBufferedInput()) {
            // RFC 3207 §6: anything the server sent before the handshake could be attacker-injected.
            done.completeExceptionally(new SmtpStepFailure(SyntheticResponses.startTlsInjection()));
            wire.channel().close();
            return done;
        }
        var channel = wire.channel();
        int port = channel.remoteAddress() instanceof java.net.InetSocketAddress a ? a.getPort() : -1;
        SslHandler ssl = sniHost == null ? context.newHandler(channel.alloc()) : context.newHandler(channel.alloc(), sniHost, port);
        ssl.setHandshakeTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        channel.pipeline().addFirst("smtp-tls", ssl);
        ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                done.complete(describe(ssl.engine().getSession(), !mode.allowsInsecure()));
            } else {
                done.completeExceptionally(new SmtpStepFailure(SyntheticResponses.tlsFailed(mode, f.cause())));
                channel.close();
            }
        });
        return done;
    }

    private static TlsInfo describe(SSLSession s, boolean verified) {
        String subject = null;
        try {
            Certificate[] chain = s.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate x) subject = x.getSubjectX500Principal().getName();
        } catch (SSLPeerUnverifiedException e) {
            // anonymous: no subject to report
        }
        return new TlsInfo(s.getProtocol(), s.getCipherSuite(), subject, verified);
    }
}
