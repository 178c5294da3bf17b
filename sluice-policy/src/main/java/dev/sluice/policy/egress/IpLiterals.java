package dev.sluice.policy.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP address literals, parsed without ever touching DNS. */
public final class IpLiterals {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");

    private IpLiterals() {}

    /** The address, or an IllegalArgumentException "invalid IP address 'x'". */
    public static InetAddress parse(String text) {
        InetAddress address = tryParse(text);
        if (address == null) {
            throw new IllegalArgumentException("invalid IP address '" + text + "'");
        }
        return address;
    }

    /** The address, or null when {@code text} is not an IPv4 dotted quad or an IPv6 literal (without brackets). */
    public static InetAddress tryParse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        var v4 = IPV4.matcher(text);
        if (v4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(v4.group(i)) > 255) {
                    return null;
                }
            }
        } else if (!text.contains(":") || !IPV6_CHARS.matcher(text).matches()) {
            return null;
        }
        try {
            // only literals reach here, so this never resolves a name
            return InetAddress.getByName(text);
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }
}
