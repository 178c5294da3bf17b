package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.ConnectionMeta;
import dev.sluice.mta.ingress.ReceptionContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

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
    private String heloName;
    private boolean esmtp;
    private int messagesStarted;
    private final ConnectionMeta meta;
    // AUTH PLAIN: the identities once accepted, and whether the next line is the client's 334 response
    private String authnId;
    private boolean awaitingAuthResponse;

    // the current transaction
    private String sender;
    private boolean relayFromSender;
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
        this.meta = new ConnectionMeta(params.meta());
        meta.set("reception_protocol", "ESMTP");
        addressesToMeta();
        meta.set("connection_id", connectionId);
    }

    private void addressesToMeta() {
        meta.set("hostname", params.hostname());
        if (peer == null || local == null) { // a session made by a unit test
            return;
        }
        meta.set("received_from", peer.getAddress().getHostAddress() + ":" + peer.getPort());
        meta.set("received_via", local.getAddress().getHostAddress() + ":" + local.getPort());
        if (origPeer != null) {
            meta.set("orig_received_from", origPeer.getAddress().getHostAddress() + ":" + origPeer.getPort());
            meta.set("orig_received_via", origLocal.getAddress().getHostAddress() + ":" + origLocal.getPort());
        }
    }

    /** The session's connection metadata ({@code conn_meta} of the SMTP events). */
    public ConnectionMeta meta() {
        return meta;
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
        reconfigure(resolved);
    }

    /** New params for this connection (a PROXY header, smtp_server_get_dynamic_parameters), before the banner. */
    void reconfigure(EsmtpParams resolved) {
        params = resolved;
        resolved.meta().forEach(meta::set);
        addressesToMeta();
    }

    public boolean tls() {
        return tls;
    }

    /** After the TLS handshake: RFC 3207 says to forget what the client said before. */
    void tlsStarted(String protocol, String cipher) {
        tls = true;
        heloName = null;
        esmtp = false;
        resetTransaction();
        meta.set("ehlo_domain", null);
        meta.set("tls_protocol", protocol);
        meta.set("tls_protocol_version", protocol);
        meta.set("tls_cipher", cipher);
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
        boolean abandoned = inTransaction();
        resetTransaction();
        if (abandoned) {
            repin(); // the abandoned transaction's version is let go
        }
        meta.set("ehlo_domain", name);
    }

    /** The authentication identity accepted by AUTH PLAIN, or null. */
    public String authnId() {
        return authnId;
    }

    /** AUTH PLAIN succeeded: the identities go into the connection meta, hence into every later message. */
    void authenticated(String authn, String authz) {
        authnId = authn;
        meta.set("authn_id", authn);
        meta.set("authz_id", authz);
    }

    boolean awaitingAuthResponse() {
        return awaitingAuthResponse;
    }

    void awaitAuthResponse(boolean awaiting) {
        awaitingAuthResponse = awaiting;
    }

    public String sender() {
        return sender;
    }

    public boolean inTransaction() {
        return sender != null;
    }

    void startTransaction(String from, boolean utf8, String bodyType, boolean relayFrom) {
        relayFromSender = relayFrom;
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

    /** Whether this transaction may relay anywhere: its sender's domain lists the client in {@code relay_from}. */
    boolean relayFromSender() {
        return relayFromSender;
    }

    void resetTransaction() {
        relayFromSender = false;
        sender = null;
        recipients.clear();
        smtputf8 = false;
        body = null;
    }

    /**
     * Takes the policy's current version for what comes next (at connection, at MAIL FROM, at the end of a
     * transaction), letting go of the one held so far.
     */
    void repin() {
        meta.hold(services.events().pin());
    }

    /** The connection closed: the version it held is let go. */
    void closed() {
        meta.end();
    }

    /** The session as the policy and the log see it. */
    public ReceptionContext receptionContext() {
        return new ReceptionContext("ESMTP", peer, local, heloName, meta.snapshot(), meta);
    }
}
