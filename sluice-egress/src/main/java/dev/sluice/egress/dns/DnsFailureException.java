package dev.sluice.egress.dns;

import java.io.IOException;

/** A DNS lookup that failed for a reason other than "no such name" (SERVFAIL, timeout, refused). */
public final class DnsFailureException extends IOException {
    public DnsFailureException(String message) {
        super(message);
    }

    public DnsFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
