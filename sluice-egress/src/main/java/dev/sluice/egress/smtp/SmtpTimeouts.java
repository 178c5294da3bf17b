package dev.sluice.egress.smtp;

import java.time.Duration;
import java.util.Objects;

/**
 * How long each step of a session may wait for the server's reply (KumoMTA's {@code *_timeout} path
 * options, code defaults). {@code idle} is how long a connection with no transaction stays open for reuse
 * before the client sends QUIT; QUIT itself waits at most {@code rset}.
 */
public record SmtpTimeouts(Duration banner, Duration ehlo, Duration starttls, Duration mailFrom, Duration rcptTo,
                           Duration data, Duration dataDot, Duration rset, Duration idle, Duration auth) {

    public SmtpTimeouts {
        for (Duration d : new Duration[] {banner, ehlo, starttls, mailFrom, rcptTo, data, dataDot, rset, idle, auth}) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("timeouts must be positive: " + d);
        }
    }

    /** KumoMTA's code defaults: banner 60 s, ehlo 300 s, starttls 5 s, mail/rcpt/data/data-dot 300 s, rset 5 s, idle 5 s, auth 60 s. */
    public static SmtpTimeouts defaults() {
        return new SmtpTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(300), Duration.ofSeconds(5),
                Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(300),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(60));
    }

    public SmtpTimeouts withBanner(Duration d) {
        return new SmtpTimeouts(d, ehlo, starttls, mailFrom, rcptTo, data, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withEhlo(Duration d) {
        return new SmtpTimeouts(banner, d, starttls, mailFrom, rcptTo, data, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withStarttls(Duration d) {
        return new SmtpTimeouts(banner, ehlo, d, mailFrom, rcptTo, data, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withMailFrom(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, d, rcptTo, data, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withRcptTo(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, mailFrom, d, data, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withData(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, mailFrom, rcptTo, d, dataDot, rset, idle, auth);
    }

    public SmtpTimeouts withDataDot(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, mailFrom, rcptTo, data, d, rset, idle, auth);
    }

    public SmtpTimeouts withRset(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, mailFrom, rcptTo, data, dataDot, d, idle, auth);
    }

    public SmtpTimeouts withIdle(Duration d) {
        return new SmtpTimeouts(banner, ehlo, starttls, mailFrom, rcptTo, data, dataDot, rset, d, auth);
    }
}
