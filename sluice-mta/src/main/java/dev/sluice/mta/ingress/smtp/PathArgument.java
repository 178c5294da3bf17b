package dev.sluice.mta.ingress.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The argument of MAIL and RCPT: {@code FROM:<path> params} / {@code TO:<path> params}. Angle brackets are
 * expected; a bare address without spaces is taken too (as Postfix does). A source route {@code <@a,@b:u@c>}
 * is dropped.
 *
 * @param address the address inside the brackets ("" for {@code <>})
 * @param params  the ESMTP parameters after it, as written
 */
record PathArgument(String address, List<String> params) {
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*(=[\\x21-\\x3c\\x3e-\\x7e]+)?");

    /** Empty when the argument does not start with {@code keyword} or the path is malformed. */
    static Optional<PathArgument> parse(String argument, String keyword) {
        if (argument.length() < keyword.length()
                || !argument.substring(0, keyword.length()).toUpperCase(Locale.ROOT).equals(keyword)) {
            return Optional.empty();
        }
        String rest = argument.substring(keyword.length()).stripLeading();
        String address;
        String tail;
        if (rest.startsWith("<")) {
            int close = rest.indexOf('>');
            if (close < 0) {
                return Optional.empty();
            }
            address = rest.substring(1, close);
            tail = rest.substring(close + 1);
            if (!tail.isEmpty() && tail.charAt(0) != ' ') {
                return Optional.empty();
            }
        } else {
            int space = rest.indexOf(' ');
            address = space < 0 ? rest : rest.substring(0, space);
            tail = space < 0 ? "" : rest.substring(space);
            if (address.isEmpty() || address.indexOf('<') >= 0 || address.indexOf('>') >= 0) {
                return Optional.empty();
            }
        }
        if (address.startsWith("@")) {
            int colon = address.indexOf(':');
            if (colon < 0) {
                return Optional.empty();
            }
            address = address.substring(colon + 1);
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return Optional.empty();
            }
        }
        List<String> params = new ArrayList<>();
        for (String p : tail.strip().split(" +")) {
            if (!p.isEmpty()) {
                params.add(p);
            }
        }
        return Optional.of(new PathArgument(address, params));
    }

    /** True when every parameter is {@code keyword[=value]} as RFC 5321 section 4.1.2 writes it. */
    boolean paramsWellFormed() {
        return params.stream().allMatch(p -> PARAM.matcher(p).matches());
    }

    /** {@code local@domain} with both parts non-empty. */
    static boolean isMailbox(String address) {
        int at = address.lastIndexOf('@');
        return at > 0 && at < address.length() - 1 && address.indexOf('@') == at || quotedLocal(address);
    }

    private static boolean quotedLocal(String address) {
        int at = address.lastIndexOf('@');
        return address.startsWith("\"") && at > 1 && address.charAt(at - 1) == '"' && at < address.length() - 1;
    }

    static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
