package dev.sluice.net.http;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** Socket addresses as people write them: 127.0.0.1:8000 and [::1]:8000. */
final class Addresses {

    private Addresses() {}

    static String format(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        int zone = host.indexOf('%');
        if (zone >= 0 && address.getAddress() instanceof Inet6Address) {
            host = host.substring(0, zone);
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
