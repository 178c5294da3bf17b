package dev.sluice.mta.ingress.smtp;

import dev.sluice.net.Cidr;
import java.util.Objects;
import java.util.function.UnaryOperator;

/** One entry of a {@code peer} or {@code via} block: for addresses in {@code cidr}, change the params. */
public record ParamsOverride(Cidr cidr, UnaryOperator<EsmtpParams> change) {
    public ParamsOverride {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(change, "change");
    }
}
