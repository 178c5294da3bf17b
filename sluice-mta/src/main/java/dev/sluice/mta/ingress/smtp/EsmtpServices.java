package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.Injector;
import java.time.Clock;
import java.util.Objects;

/**
 * What the sessions of one listener call out to.
 *
 * @param spillDirectory where message data larger than 256 KiB is written while it arrives (a file without a name,
 *                       gone once the message is spooled or refused): on the spool's disk
 */
public record EsmtpServices(Injector injector, RelayPolicy relayPolicy, Admission admission, Clock clock,
                            SmtpEvents events, java.nio.file.Path spillDirectory) {
    public EsmtpServices {
        Objects.requireNonNull(injector, "injector");
        Objects.requireNonNull(relayPolicy, "relayPolicy");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(spillDirectory, "spillDirectory");
    }

    /** Services whose large messages are received into the temporary directory ({@code java.io.tmpdir}). */
    public EsmtpServices(Injector injector, RelayPolicy relayPolicy, Admission admission, Clock clock,
                         SmtpEvents events) {
        this(injector, relayPolicy, admission, clock, events,
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Services without SMTP command events. */
    public EsmtpServices(Injector injector, RelayPolicy relayPolicy, Admission admission, Clock clock) {
        this(injector, relayPolicy, admission, clock, SmtpEvents.NONE);
    }
}
