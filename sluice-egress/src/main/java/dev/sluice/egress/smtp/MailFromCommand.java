package dev.sluice.egress.smtp;

/** Builds MAIL FROM with the ESMTP parameters the envelope needs and the server offers. */
final class MailFromCommand {
    private MailFromCommand() {}

    static String line(Envelope env, EhloCapabilities caps) {
        StringBuilder sb = new StringBuilder("MAIL FROM:<").append(env.sender()).append('>');
        if (caps.sizeAdvertised()) sb.append(" SIZE=").append(env.message().length);
        if (env.needs8bit() && caps.eightBitMime()) sb.append(" BODY=8BITMIME");
        if (env.needsSmtputf8() && caps.smtpUtf8()) sb.append(" SMTPUTF8");
        return sb.toString();
    }

    /** A local refusal before anything is sent (size over the advertised SIZE, 8BITMIME/SMTPUTF8 missing), or null. */
    static SmtpResponse localRefusal(Envelope env, EhloCapabilities caps) {
        String line = line(env, caps);
        var limit = caps.sizeLimit();
        if (limit.isPresent() && env.message().length > limit.getAsLong()) {
            return SyntheticResponses.tooBig(env.message().length, limit.getAsLong(), line);
        }
        if (env.needs8bit() && !caps.eightBitMime()) return SyntheticResponses.no8bitMime(line);
        if (env.needsSmtputf8() && !caps.smtpUtf8()) return SyntheticResponses.noSmtputf8(line);
        return null;
    }
}
