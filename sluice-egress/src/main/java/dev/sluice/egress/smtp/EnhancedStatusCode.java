package dev.sluice.egress.smtp;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** RFC 3463 enhanced status code {@code class.subject.detail}, e.g. 5.1.1. */
public record EnhancedStatusCode(int klass, int subject, int detail) {
    private static final Pattern CODE = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: |$)");

    /** The code at the start of {@code text} if its class matches the reply code's first digit, else null. */
    static EnhancedStatusCode parsePrefix(String text, int replyCode) {
        Matcher m = CODE.matcher(text);
        if (!m.find()) return null;
        int k = Integer.parseInt(m.group(1));
        if (k != replyCode / 100) return null;
        return new EnhancedStatusCode(k, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    @Override
    public String toString() {
        return klass + "." + subject + "." + detail;
    }
}
