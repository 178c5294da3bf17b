package dev.sluice.egress.connect;

/**
 * The log record's {@code source_address}: where the connection appears to come from.
 *
 * @param address  "ip:port": the local address (direct), the SOCKS5 CONNECT reply's address, or
 *                 {@code ha_proxy_source_address:0}
 * @param server   the proxy's "ip:port", null when direct
 * @param protocol "socks5", "haproxy", or null when direct
 */
public record SourceAddress(String address, String server, String protocol) {}
