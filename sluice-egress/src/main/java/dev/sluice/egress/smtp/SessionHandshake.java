package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Banner, EHLO (HELO on a 5xx), STARTTLS per {@link TlsMode} and EHLO again. Event-loop only. */
final class SessionHandshake {
    private final SmtpWire wire;
    private final SmtpClientOptions o;
    private SmtpResponse banner;

    SessionHandshake(SmtpWire wire, SmtpClientOptions options) {
        this.wire = wire;
        this.o = options;
    }

    CompletableFuture<SmtpConnection> run() {
        return wire.expect(null, o.timeouts().banner()).thenCompose(b -> {
            if (b.code() != 220) throw refuse(b);
            banner = b;
            return greet();
        }).thenCompose(this::negotiateTls);
    }

    private CompletableFuture<EhloCapabilities> greet() {
        String ehlo = "EHLO " + o.ehloDomain();
        return wire.command(ehlo, o.timeouts().ehlo()).thenCompose(r -> {
            if (r.code() / 100 == 2) return CompletableFuture.completedFuture(EhloCapabilities.parse(r));
            if (!r.isPermanentFailure()) throw refuse(r);
            String helo = "HELO " + o.ehloDomain(); // a server without ESMTP rejects EHLO with 5xx (RFC 5321 §3.2)
            return wire.command(helo, o.timeouts().ehlo()).thenApply(h -> {
                if (h.code() / 100 != 2) throw refuse(h);
                return EhloCapabilities.helo();
            });
        });
    }

    private CompletableFuture<SmtpConnection> negotiateTls(EhloCapabilities caps) {
        TlsMode mode = o.enableTls();
        if (mode == TlsMode.Disabled) return connected(caps, null);
        if (!caps.startTls()) {
            if (mode.isRequired()) throw refuse(SyntheticResponses.tlsNotOffered(mode));
            return connected(caps, null);
        }
        return wire.command("STARTTLS", o.timeouts().starttls()).thenCompose(r -> {
            if (r.code() != 220) {
                // Refused before any handshake: the session is still clean cleartext.
                if (mode.isRequired()) throw refuse(r);
                return connected(caps, null);
            }
            return StartTls.handshake(wire, mode, o.tlsContexts().forMode(mode), o.sniHostName(), o.timeouts().starttls())
                    .thenCompose(tls -> wire.command("EHLO " + o.ehloDomain(), o.timeouts().ehlo()).thenCompose(r2 -> {
                        if (r2.code() / 100 != 2) throw refuse(r2);
                        return connected(EhloCapabilities.parse(r2), tls);
                    }));
        });
    }

    private CompletableFuture<SmtpConnection> connected(EhloCapabilities caps, TlsInfo tls) {
        return CompletableFuture.completedFuture(new SmtpConnection(wire, o, banner, caps, tls));
    }

    private static CompletionException refuse(SmtpResponse r) {
        return new CompletionException(new SmtpOpenException(r));
    }

    /** The open failure as an {@link SmtpOpenException}, whatever went wrong. */
    static SmtpOpenException asOpenException(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof SmtpOpenException s) return s;
        return new SmtpOpenException(Step.failureResponse(t, "(session setup)"));
    }
}
