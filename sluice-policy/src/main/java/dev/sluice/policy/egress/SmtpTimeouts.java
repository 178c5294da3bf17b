package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigTable;
import java.time.Duration;

/** The SMTP client timeouts of an egress path (KumoMTA's {@code SmtpClientTimeouts}, code defaults). */
public record SmtpTimeouts(
        Duration connect, Duration banner, Duration ehlo, Duration starttls, Duration auth, Duration mailFrom,
        Duration rcptTo, Duration data, Duration dataDot, Duration rset, Duration idle) {

    public static final SmtpTimeouts DEFAULT = new SmtpTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60),
            Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(300),
            Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(5),
            Duration.ofSeconds(5));

    static final java.util.Set<String> KEYS = java.util.Set.of("connect_timeout", "banner_timeout", "ehlo_timeout",
            "starttls_timeout", "auth_timeout", "mail_from_timeout", "rcpt_to_timeout", "data_timeout",
            "data_dot_timeout", "rset_timeout", "idle_timeout");

    static SmtpTimeouts parse(ConfigTable t) {
        SmtpTimeouts d = DEFAULT;
        return new SmtpTimeouts(
                t.duration("connect_timeout", d.connect), t.duration("banner_timeout", d.banner),
                t.duration("ehlo_timeout", d.ehlo), t.duration("starttls_timeout", d.starttls),
                t.duration("auth_timeout", d.auth), t.duration("mail_from_timeout", d.mailFrom),
                t.duration("rcpt_to_timeout", d.rcptTo), t.duration("data_timeout", d.data),
                t.duration("data_dot_timeout", d.dataDot), t.duration("rset_timeout", d.rset),
                t.duration("idle_timeout", d.idle));
    }
    // copies with one timeout changed (tests and per-call overrides)

    public SmtpTimeouts withConnect(Duration d) {
        return new SmtpTimeouts(d, banner, ehlo, starttls, auth, mailFrom, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withBanner(Duration d) {
        return new SmtpTimeouts(connect, d, ehlo, starttls, auth, mailFrom, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withEhlo(Duration d) {
        return new SmtpTimeouts(connect, banner, d, starttls, auth, mailFrom, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withStarttls(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, d, auth, mailFrom, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withAuth(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, d, mailFrom, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withMailFrom(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, d, rcptTo, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withRcptTo(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, mailFrom, d, data, dataDot, rset, idle);
    }

    public SmtpTimeouts withData(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, mailFrom, rcptTo, d, dataDot, rset, idle);
    }

    public SmtpTimeouts withDataDot(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, mailFrom, rcptTo, data, d, rset, idle);
    }

    public SmtpTimeouts withRset(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, mailFrom, rcptTo, data, dataDot, d, idle);
    }

    public SmtpTimeouts withIdle(Duration d) {
        return new SmtpTimeouts(connect, banner, ehlo, starttls, auth, mailFrom, rcptTo, data, dataDot, rset, d);
    }
}
