package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.Injector;
import java.time.Clock;
import java.util.Objects;

/** What the sessions of one listener call out to. */
public record EsmtpServices(Injector injector, RelayPolicy relayPolicy, Admission admission, Clock clock,
                            SmtpEvents events) {
    public EsmtpServices {
        Objects.requireNonNull(injector, "injector");
        Objects.requireNonNull(relayPolicy, "relayPolicy");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(events, "events");
    }

    /** Services without SMTP command events. */
    public EsmtpServices(Injector injector, RelayPolicy relayPolicy, Admission admission, Clock clock) {
        this(injector, relayPolicy, admission, clock, SmtpEvents.NONE);
    }
}
