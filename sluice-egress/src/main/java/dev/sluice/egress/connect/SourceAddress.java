package dev.sluice.egress.connect;

import dev.sluice.net.IpLiterals;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
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
 * @param address  "ip:port"; through HAProxy the port is 0 (the proxy picks it); null when a SOCKS5 proxy did not
 *                 report it (a CONNECT-only server such as microsocks answers BND 0.0.0.0:0), and then the JSON
 *                 says so in {@code note}
 * @param server   the proxy server "ip:port", null without a proxy (then absent from the JSON)
 * @param protocol "socks5" or "haproxy", null without a proxy (then absent)
 */
@JsonPropertyOrder({"address", "server", "protocol", "note"})
@JsonIgnoreProperties(value = "note", allowGetters = true)
public record SourceAddress(@JsonProperty("address") String address,
                            @JsonProperty("server") @JsonInclude(JsonInclude.Include.NON_NULL) String server,
                            @JsonProperty("protocol") @JsonInclude(JsonInclude.Include.NON_NULL) String protocol) {

    public static final String SOCKS5 = "socks5";
    public static final String HAPROXY = "haproxy";
    /** Said instead of an address when the proxy's reply carries none (BND 0.0.0.0:0 or [::]:0). */
    public static final String NOT_REPORTED = "source address not reported by the proxy";

    /** A direct connection from this local address. */
    public static SourceAddress direct(InetSocketAddress local) {
        return new SourceAddress(IpLiterals.format(local), null, null);
    }

    /** Through SOCKS5: {@code bound} is what the proxy reported for its outbound socket. */
    public static SourceAddress socks5(InetSocketAddress bound, InetSocketAddress proxy) {
        boolean reported = bound != null && !(bound.getPort() == 0 && bound.getAddress() != null
                && bound.getAddress().isAnyLocalAddress());
        return new SourceAddress(reported ? IpLiterals.format(bound) : null, IpLiterals.format(proxy), SOCKS5);
    }

    /** {@link #NOT_REPORTED} when the proxy did not say which address it sent from, else absent from the JSON. */
    @JsonProperty("note")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public String note() {
        return address == null ? NOT_REPORTED : null;
    }

    /** The address for people: "ip:port", or {@link #NOT_REPORTED}. */
    public String describe() {
        return address == null ? NOT_REPORTED : address;
    }

    /** Through HAProxy: the source address asked for in the PROXY header; the port is unknown, so 0. */
    public static SourceAddress haproxy(InetAddress source, InetSocketAddress proxy) {
        return new SourceAddress(IpLiterals.format(new InetSocketAddress(source, 0)), IpLiterals.format(proxy), HAPROXY);
    }

}
