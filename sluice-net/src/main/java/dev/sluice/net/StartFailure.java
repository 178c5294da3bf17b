package dev.sluice.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A program cannot start for a reason its one-line message says in full (an address in use, a spool held by
 * another process): {@code bin/sluice} prints the message alone, without a stack trace (unless
 * {@code SLUICE_LOG=debug}), and exits 1.
 */
public final class StartFailure extends IOException {
    public StartFailure(String message) {
        super(message);
    }

    public StartFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A listening socket that could not be bound, said as an operator would: {@code 127.0.0.1:2525 is in use},
     * {@code 0.0.0.0:25: permission denied (...)}, {@code 192.0.2.1:25: no such address on this host}; the address
     * written as {@link IpLiterals#format(InetSocketAddress)} writes it (no leading '/').
     */
    public static StartFailure listen(InetSocketAddress address, Throwable cause) {
        String where = IpLiterals.format(address);
        String text = String.valueOf(cause == null ? null : cause.getMessage()).toLowerCase(Locale.ROOT);
        if (cause instanceof java.net.BindException && text.contains("in use") || text.contains("address already in use")) {
            return new StartFailure(where + " is in use", cause);
        }
        if (text.contains("permission denied")) {
            return new StartFailure(where + ": permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)",
                    cause);
        }
        if (text.contains("cannot assign requested address")) {
            return new StartFailure(where + ": no such address on this host", cause);
        }
        return new StartFailure("cannot listen on " + where + ": " + (cause == null ? "unknown error" : cause.getMessage()),
                cause);
    }

    /** The first {@code StartFailure} among {@code t} and its causes, or null. */
    public static StartFailure in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StartFailure f) {
                return f;
            }
        }
        return null;
    }
}
