package dev.sluice.egress.smtp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What the server advertised in its EHLO reply: keyword (upper case) → parameters ("" when none).
 * {@code esmtp} is false after a HELO fallback, and then every extension is absent.
 */
public record EhloCapabilities(boolean esmtp, Map<String, String> extensions) {

    public EhloCapabilities {
        extensions = Map.copyOf(extensions);
    }

    static EhloCapabilities helo() {
        return new EhloCapabilities(false, Map.of());
    }

    /** Parses the EHLO 250 reply: the first line is the greeting, each further line "KEYWORD [params]". */
    static EhloCapabilities parse(SmtpResponse ehlo) {
        Map<String, String> ext = new LinkedHashMap<>();
        String[] lines = ehlo.content().split("\n", -1);
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) continue;
            int sp = line.indexOf(' ');
            String key = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            ext.putIfAbsent(key, sp < 0 ? "" : line.substring(sp + 1).strip());
        }
        return new EhloCapabilities(true, ext);
    }

    public boolean has(String keyword) {
        return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    public boolean pipelining() { return has("PIPELINING"); }

    public boolean startTls() { return has("STARTTLS"); }

    public boolean eightBitMime() { return has("8BITMIME"); }

    public boolean smtpUtf8() { return has("SMTPUTF8"); }

    public boolean enhancedStatusCodes() { return has("ENHANCEDSTATUSCODES"); }

    /** SIZE was advertised (MAIL FROM then carries SIZE=). */
    public boolean sizeAdvertised() { return has("SIZE"); }

    /** The advertised maximum size, when SIZE came with a positive number (0 or none = no fixed limit). */
    public OptionalLong sizeLimit() {
        String p = extensions.get("SIZE");
        if (p == null || p.isEmpty()) return OptionalLong.empty();
        try {
            long n = Long.parseLong(p.split("\\s+")[0]);
            return n > 0 ? OptionalLong.of(n) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
