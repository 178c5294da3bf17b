package dev.sluice.policy.egress;

/** {@code enable_tls} of an egress path. */
public enum TlsMode {
    /** STARTTLS when offered; an invalid certificate fails the delivery (no fallback to cleartext). */
    Opportunistic,
    /** STARTTLS when offered, any certificate accepted. */
    OpportunisticInsecure,
    /** TLS with a valid certificate is required. */
    Required,
    /** TLS required, any certificate accepted. */
    RequiredInsecure,
    /** Never STARTTLS. */
    Disabled;

    public boolean allowsInsecure() {
        return this == OpportunisticInsecure || this == RequiredInsecure;
    }

    public boolean isOpportunistic() {
        return this == Opportunistic || this == OpportunisticInsecure;
    }

    public boolean isRequired() {
        return this == Required || this == RequiredInsecure;
    }
}
