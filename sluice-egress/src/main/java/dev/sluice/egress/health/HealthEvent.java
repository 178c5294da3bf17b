package dev.sluice.egress.health;

/** The failure classes that count toward suspension; the names are KumoMTA's metric label values. */
public enum HealthEvent {
    /** The source's own {@code bind(source_address)} failed with EADDRNOTAVAIL. */
    Unplumbed,
    /** The proxy was unreachable or timed out, or it could not bind the requested source address. */
    ProxyUnhealthy
}
