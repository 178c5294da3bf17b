/**
 * Opening an egress source's TCP connection: {@link dev.sluice.egress.connect.Connector} (direct, SOCKS5 with
 * the KumoProxy BIND-then-CONNECT convention or CONNECT alone, optional TLS to the proxy, HAProxy PROXY v2),
 * KumoMTA's failure classes ({@link dev.sluice.egress.connect.ConnectFailure}) and their summary texts
 * ({@link dev.sluice.egress.connect.FailureSummary}).
 */
package dev.sluice.egress.connect;
