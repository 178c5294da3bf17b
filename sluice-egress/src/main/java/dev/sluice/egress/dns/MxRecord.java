package dev.sluice.egress.dns;

import java.util.Objects;

/**
 * One mail exchanger of a domain.
 *
 * @param preference lower is tried first
 * @param exchange   host name without the trailing dot, lower case; "" for a null MX (RFC 7505)
 * @param implicit   true when the domain had no MX records and the domain itself stands in (RFC 5321 5.1)
 */
public record MxRecord(int preference, String exchange, boolean implicit) {
    public MxRecord {
        Objects.requireNonNull(exchange, "exchange");
    }

    public MxRecord(int preference, String exchange) {
        this(preference, exchange, false);
    }
}
