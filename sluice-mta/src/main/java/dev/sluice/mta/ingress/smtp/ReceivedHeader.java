package dev.sluice.mta.ingress.smtp;

import dev.sluice.mta.message.MessageId;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The trace header Sluice prepends:
 * {@code Received: from HELO ([ip]) by HOST (Sluice) with ESMTP[S] id ID; DATE}. The client's address is given as
 * an address literal (no reverse DNS lookup); after a PROXY header it is the proxied client's address.
 */
final class ReceivedHeader {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private ReceivedHeader() {}

    static byte[] build(String helo, InetAddress client, String host, boolean esmtp, boolean tls, MessageId id,
                        ZonedDateTime now) {
        String protocol = (esmtp ? "ESMTP" : "SMTP") + (tls ? "S" : "");
        String header = "Received: from " + sanitize(helo) + " (" + literal(client) + ")\r\n"
                + "\tby " + host + " (Sluice) with " + protocol + " id " + id + ";\r\n"
                + "\t" + DATE.format(now) + "\r\n";
        return header.getBytes(StandardCharsets.UTF_8);
    }

    static String literal(InetAddress address) {
        return address instanceof Inet6Address ? "[IPv6:" + address.getHostAddress() + "]"
                : "[" + address.getHostAddress() + "]";
    }

    /** The HELO name is client input: keep it on one line and free of comment syntax. */
    private static String sanitize(String helo) {
        return helo == null ? "unknown" : helo.replaceAll("[\\x00-\\x20()\\x7f]", "?");
    }
}
