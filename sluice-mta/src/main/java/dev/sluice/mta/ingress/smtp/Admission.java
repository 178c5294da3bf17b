package dev.sluice.mta.ingress.smtp;

import java.util.Optional;

/**
 * Whether the MTA can take a new message now (e.g. the spool's free-space monitor). Asked at every MAIL FROM;
 * a reason refuses the transaction with {@code 452 4.3.1 <reason>}.
 */
@FunctionalInterface
public interface Admission {
    Admission ALWAYS = Optional::empty;

    /** Empty when new messages are welcome, else why not (shown to the client). */
    Optional<String> refuseReason();
}
