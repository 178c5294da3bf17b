package dev.sluice.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The system host name, KumoMTA's default for listener host names, or "localhost" when it has none. */
public final class Hostnames {
    private Hostnames() {}

    public static String local() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
