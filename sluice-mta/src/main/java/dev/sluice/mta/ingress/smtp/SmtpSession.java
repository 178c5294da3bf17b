package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.ReceptionContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one SMTP connection: who the client is, what it said in EHLO, and the current transaction.
 * Touched only on the connection's event loop.
 */
public final class SmtpSession {
    private final String connectionId;
    private final EsmtpServices services;
    private EsmtpParams params;
    private InetSocketAddress peer;
    private InetSocketAddress local;
    private InetSocketAddress origPeer;
    private InetSocketAddress origLocal;
    private boolean tls;
    private String tlsProtocol;
    private String heloName;
    private boolean esmtp;
    private int messagesStarted;

    // the current transaction
    private String sender;
    private final List<String> recipients = new ArrayList<>();
    private boolean smtputf8;
    private String body;

    SmtpSession(String connectionId, EsmtpServices services, EsmtpParams params, InetSocketAddress peer,
                InetSocketAddress local) {
        this.connectionId = connectionId;
        this.services = services;
        this.params = params;
        this.peer = peer;
        this.local = local;
    }

    public String connectionId() {
        return connectionId;
    }

    public EsmtpServices services() {
        return services;
    }

    public EsmtpParams params() {
        return params;
    }

    public String hostname() {
        return params.hostname();
    }

    /** The client: after a PROXY header, the address it carried. */
    public InetSocketAddress peer() {
        return peer;
    }

    public InetSocketAddress local() {
        return local;
    }

    /** Applies a PROXY header: the addresses it carried replace the TCP ones, which are kept as orig_*. */
    void proxied(InetSocketAddress source, InetSocketAddress destination, EsmtpParams resolved) {
        origPeer = peer;
        origLocal = local;
        peer = source;
        local = destination;
        params = resolved;
    }

    public boolean tls() {
        return tls;
    }

    /** After the TLS handshake: RFC 3207 says to forget what the client said before. */
    void tlsStarted(String protocol) {
        tls = true;
        tlsProtocol = protocol;
        heloName = null;
        esmtp = false;
        resetTransaction();
    }

    public String heloName() {
        return heloName;
    }

    public boolean esmtp() {
        return esmtp;
    }

    void greeted(String name, boolean extended) {
        heloName = name;
        esmtp = extended;
        resetTransaction();
    }

    public String sender() {
        return sender;
    }

    public boolean inTransaction() {
        return sender != null;
    }

    void startTransaction(String from, boolean utf8, String bodyType) {
        sender = from;
        smtputf8 = utf8;
        body = bodyType;
        messagesStarted++;
    }

    public int messagesStarted() {
        return messagesStarted;
    }

    public List<String> recipients() {
        return List.copyOf(recipients);
    }

    int recipientCount() {
        return recipients.size();
    }

    void addRecipient(String recipient) {
        recipients.add(recipient);
    }

    public boolean smtputf8() {
        return smtputf8;
    }

    public String body() {
        return body;
    }

    void resetTransaction() {
        sender = null;
        recipients.clear();
        smtputf8 = false;
        body = null;
    }

    /** The session as the policy and the log see it. */
    public ReceptionContext receptionContext() {
        Map<String, Object> meta = new LinkedHashMap<>(params.meta());
        meta.put("received_from", peer.getAddress().getHostAddress() + ":" + peer.getPort());
        meta.put("received_via", local.getAddress().getHostAddress() + ":" + local.getPort());
        if (origPeer != null) {
            meta.put("orig_received_from", origPeer.getAddress().getHostAddress() + ":" + origPeer.getPort());
            meta.put("orig_received_via", origLocal.getAddress().getHostAddress() + ":" + origLocal.getPort());
        }
        meta.put("hostname", params.hostname());
        meta.put("connection_id", connectionId);
        if (tls) {
            meta.put("tls_protocol", tlsProtocol);
        }
        return new ReceptionContext("ESMTP", peer, local, heloName, meta);
    }
}
