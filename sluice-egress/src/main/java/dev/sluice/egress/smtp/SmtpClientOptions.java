package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.SmtpTimeouts;

import dev.sluice.policy.egress.TlsMode;

import java.util.Objects;

/**
 * Per-path SMTP client settings (KumoMTA's make_egress_path subset the client itself applies).
 *
 * @param ehloDomain            name sent with EHLO/HELO
 * @param enableTls             STARTTLS policy
 * @param enablePipelining      use PIPELINING when the server advertises it
 * @param enableRset            send RSET before every transaction after the first on a connection
 * @param timeouts              per-step reply timeouts
 * @param maxRecipientsPerBatch most RCPTs {@link SmtpConnection#send} accepts in one envelope; splitting a
 *                              longer list is the caller's job ({@link Envelope#batches(int)})
 * @param tlsContexts           client TLS contexts used by STARTTLS
 * @param sniHostName           name sent as SNI and verified against the certificate (the MX host name);
 *                              null sends no SNI, and then only the *Insecure modes can succeed
 */
public record SmtpClientOptions(String ehloDomain, TlsMode enableTls, boolean enablePipelining, boolean enableRset,
                                SmtpTimeouts timeouts, int maxRecipientsPerBatch, ClientTlsContexts tlsContexts,
                                String sniHostName) {

    public SmtpClientOptions {
        Objects.requireNonNull(ehloDomain, "ehloDomain");
        if (ehloDomain.isBlank() || ehloDomain.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("ehloDomain must be one non-blank word: '" + ehloDomain + "'");
        }
        Objects.requireNonNull(enableTls, "enableTls");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(tlsContexts, "tlsContexts");
        if (maxRecipientsPerBatch < 1) throw new IllegalArgumentException("maxRecipientsPerBatch must be >= 1");
    }

    /** KumoMTA defaults: Opportunistic TLS, pipelining and RSET on, default timeouts, 100 recipients, system trust. */
    public static SmtpClientOptions defaults(String ehloDomain) {
        return new SmtpClientOptions(ehloDomain, TlsMode.Opportunistic, true, true, SmtpTimeouts.DEFAULT, 100,
                ClientTlsContexts.systemDefault(), null);
    }

    public SmtpClientOptions withEnableTls(TlsMode mode) {
        return new SmtpClientOptions(ehloDomain, mode, enablePipelining, enableRset, timeouts, maxRecipientsPerBatch,
                tlsContexts, sniHostName);
    }

    public SmtpClientOptions withEnablePipelining(boolean on) {
        return new SmtpClientOptions(ehloDomain, enableTls, on, enableRset, timeouts, maxRecipientsPerBatch,
                tlsContexts, sniHostName);
    }

    public SmtpClientOptions withEnableRset(boolean on) {
        return new SmtpClientOptions(ehloDomain, enableTls, enablePipelining, on, timeouts, maxRecipientsPerBatch,
                tlsContexts, sniHostName);
    }

    public SmtpClientOptions withTimeouts(SmtpTimeouts t) {
        return new SmtpClientOptions(ehloDomain, enableTls, enablePipelining, enableRset, t, maxRecipientsPerBatch,
                tlsContexts, sniHostName);
    }

    public SmtpClientOptions withMaxRecipientsPerBatch(int max) {
        return new SmtpClientOptions(ehloDomain, enableTls, enablePipelining, enableRset, timeouts, max,
                tlsContexts, sniHostName);
    }

    public SmtpClientOptions withTls(ClientTlsContexts contexts, String sniHostName) {
        return new SmtpClientOptions(ehloDomain, enableTls, enablePipelining, enableRset, timeouts,
                maxRecipientsPerBatch, contexts, sniHostName);
    }
}
