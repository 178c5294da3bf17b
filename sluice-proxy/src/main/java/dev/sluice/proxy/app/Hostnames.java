package dev.sluice.proxy.app;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The system host name, KumoMTA's default for listener host names, or "localhost" when it has none. */
final class Hostnames {
    private Hostnames() {}

    static String local() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
