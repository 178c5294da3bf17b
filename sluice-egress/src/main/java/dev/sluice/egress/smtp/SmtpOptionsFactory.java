package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressSource;

/**
 * The SMTP client options for one (source, path, destination host), shared by the one-shot Deliverer and
 * the MTA's dispatcher so both speak SMTP the same way.
 */
public final class SmtpOptionsFactory {
    private SmtpOptionsFactory() {}

    /**
     * @param hostname EHLO name when neither the path's nor the source's ehlo_domain is set
     * @param tlsName  the destination host name: SNI and the name the certificate is checked against
     */
    public static SmtpClientOptions forPath(EgressSource source, EgressPath path, String hostname, String tlsName) {
        String ehlo = path.ehloDomain().or(source::ehloDomain).orElse(hostname);
        return SmtpClientOptions.defaults(ehlo)
                .withEnableTls(path.enableTls())
                .withEnablePipelining(path.enablePipelining())
                .withEnableRset(path.enableRset())
                .withTimeouts(path.timeouts())
                .withMaxRecipientsPerBatch(path.maxRecipientsPerBatch())
                .withTls(ClientTlsContexts.systemDefault(), tlsName);
    }
}
