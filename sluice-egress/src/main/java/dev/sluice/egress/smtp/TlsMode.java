package dev.sluice.egress.smtp;

/**
 * KumoMTA's {@code enable_tls}: whether STARTTLS is attempted or required, and whether the server
 * certificate is verified. As in KumoMTA, an opportunistic mode that sees STARTTLS advertised uses it and
 * does NOT fall back to cleartext on the same connection when the handshake (or certificate check) fails.
 */
public enum TlsMode {
    /** STARTTLS when advertised; an invalid or self-signed certificate fails the connection. */
    Opportunistic,
    /** STARTTLS when advertised; the certificate is not checked (lab use). */
    OpportunisticInsecure,
    /** STARTTLS must be advertised and the certificate must be valid. */
    Required,
    /** STARTTLS must be advertised; the certificate is not checked (lab use). */
    RequiredInsecure,
    /** Never send STARTTLS. */
    Disabled;

    public boolean allowInsecure() {
        return this == OpportunisticInsecure || this == RequiredInsecure;
    }

    public boolean isOpportunistic() {
        return this == Opportunistic || this == OpportunisticInsecure;
    }

    public boolean isRequired() {
        return this == Required || this == RequiredInsecure;
    }
}
