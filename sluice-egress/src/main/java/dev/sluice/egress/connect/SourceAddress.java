package dev.sluice.egress.connect;

import dev.sluice.net.IpLiterals;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where a delivery left from, as the log record's {@code source_address}: the address (and port) the destination
 * sees, and with a proxy the proxy server and its protocol. Addresses are written {@code ip:port}, IPv6 in
 * brackets. The connector produces it; the JSON shape is KumoMTA's.
 *
 * @param address  "ip:port"; through HAProxy the port is 0 (the proxy picks it)
 * @param server   the proxy server "ip:port", null without a proxy (then absent from the JSON)
 * @param protocol "socks5" or "haproxy", null without a proxy (then absent)
 */
@JsonPropertyOrder({"address", "server", "protocol"})
public record SourceAddress(@JsonProperty("address") String address,
                            @JsonProperty("server") @JsonInclude(JsonInclude.Include.NON_NULL) String server,
                            @JsonProperty("protocol") @JsonInclude(JsonInclude.Include.NON_NULL) String protocol) {

    public static final String SOCKS5 = "socks5";
    public static final String HAPROXY = "haproxy";

    /** A direct connection from this local address. */
    public static SourceAddress direct(InetSocketAddress local) {
        return new SourceAddress(IpLiterals.format(local), null, null);
    }

    /** Through SOCKS5: {@code bound} is what the proxy reported for its outbound socket. */
    public static SourceAddress socks5(InetSocketAddress bound, InetSocketAddress proxy) {
        return new SourceAddress(IpLiterals.format(bound), IpLiterals.format(proxy), SOCKS5);
    }

    /** Through HAProxy: the source address asked for in the PROXY header; the port is unknown, so 0. */
    public static SourceAddress haproxy(InetAddress source, InetSocketAddress proxy) {
        return new SourceAddress(IpLiterals.format(new InetSocketAddress(source, 0)), IpLiterals.format(proxy), HAPROXY);
    }

}
