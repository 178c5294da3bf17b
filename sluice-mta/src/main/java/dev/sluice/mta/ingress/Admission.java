package dev.sluice.mta.ingress;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether the MTA can take a new message now (e.g. the spool's free-space monitor, or the spool's writes
 * failing). The ESMTP server asks at every MAIL FROM and refuses with {@code 452 4.3.1 <reason>}; the HTTP API
 * answers 503 with the reason on {@code /api/inject/v1} and {@code /api/check-liveness/v1}.
 */
@FunctionalInterface
public interface Admission {
    Admission ALWAYS = Optional::empty;

    /** Empty when new messages are welcome, else why not (shown to the client). */
    Optional<String> refuseReason();

    /** Refuses while any of {@code parts} refuses, with every refusing part's reason joined by "; ". */
    static Admission all(Admission... parts) {
        List<Admission> list = List.of(parts);
        return () -> {
            List<String> reasons = new ArrayList<>(1);
            for (Admission a : list) {
                a.refuseReason().ifPresent(reasons::add);
            }
            return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
        };
    }
}
