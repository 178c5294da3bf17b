package dev.sluice.mta.ingress.smtp;

import dev.sluice.net.CidrSet;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The listener settings that a {@code peer} or {@code via} block may override, i.e. everything that is decided
 * per connection. {@link EsmtpListenerConfig#paramsFor} resolves them for one client.
 *
 * @param hostname                  name in the banner, replies and Received header
 * @param banner                    text after the hostname in the 220 greeting
 * @param relayHosts                clients that may relay to any domain
 * @param maxMessageSize            bytes; SIZE= above it and larger DATA get 552
 * @param maxRecipientsPerMessage   further RCPT TO get 452 4.5.3
 * @param maxMessagesPerConnection  further MAIL FROM get 451 4.5.3
 * @param lineLengthHardLimit       longest line in bytes without CRLF; longer ones get 500 5.5.2
 * @param invalidLineEndings        bare CR/LF in DATA: Deny, Allow or Fix
 * @param clientTimeout             read timeout (also for the PROXY header); then 421 and close
 * @param dataProcessingTimeout     how long the reply after DATA may wait for the injector; then 451
 * @param requireProxyProtocol      expect a PROXY v1/v2 header before the banner
 * @param meta                      preset connection meta
 * @param commandDeadline           Sluice's {@code command_deadline}: a whole command line (and the PROXY header)
 *                                  must arrive within this, counted from when the server waits for it, however
 *                                  the bytes trickle in; then 421 4.4.2 and close (Postfix's per-request deadline)
 * @param dataDeadline              Sluice's {@code data_deadline}: the whole message data, from the 354 to the
 *                                  final dot, must arrive within this; then 421 4.4.2 and close
 * @param maxConnectionsPerIp       Sluice's {@code max_connections_per_ip}: concurrent sessions from one client
 *                                  address (after a PROXY header: the address it carried); further ones get
 *                                  421 4.7.0 instead of the banner. Clients in relay_hosts are not counted (as
 *                                  Postfix exempts mynetworks from smtpd_client_connection_count_limit)
 */
public record EsmtpParams(String hostname, String banner, CidrSet relayHosts, long maxMessageSize,
                          int maxRecipientsPerMessage, int maxMessagesPerConnection, int lineLengthHardLimit,
                          InvalidLineEndings invalidLineEndings, Duration clientTimeout,
                          Duration dataProcessingTimeout, boolean requireProxyProtocol, Map<String, Object> meta,
                          Duration commandDeadline, Duration dataDeadline, int maxConnectionsPerIp) {

    public static final String DEFAULT_BANNER = "Sluice ESMTP";
    public static final CidrSet DEFAULT_RELAY_HOSTS = CidrSet.of("127.0.0.1", "::1");
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 20L * 1024 * 1024;
    public static final int DEFAULT_MAX_RECIPIENTS = 1024;
    public static final int DEFAULT_MAX_MESSAGES_PER_CONNECTION = 10_000;
    public static final int DEFAULT_LINE_LENGTH_HARD_LIMIT = 998;
    public static final Duration DEFAULT_CLIENT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_DATA_PROCESSING_TIMEOUT = Duration.ofMinutes(5);
    /** Postfix's smtpd_timeout (300 s), here for the whole line rather than for each read. */
    public static final Duration DEFAULT_COMMAND_DEADLINE = Duration.ofMinutes(5);
    /** Twice the command deadline: a max_message_size (20 MiB) message needs only about 35 KB/s. */
    public static final Duration DEFAULT_DATA_DEADLINE = Duration.ofMinutes(10);
    /** Postfix's smtpd_client_connection_count_limit. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 50;

    public EsmtpParams {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(banner, "banner");
        Objects.requireNonNull(relayHosts, "relayHosts");
        Objects.requireNonNull(invalidLineEndings, "invalidLineEndings");
        Objects.requireNonNull(clientTimeout, "clientTimeout");
        Objects.requireNonNull(dataProcessingTimeout, "dataProcessingTimeout");
        Objects.requireNonNull(commandDeadline, "commandDeadline");
        Objects.requireNonNull(dataDeadline, "dataDeadline");
        meta = Map.copyOf(meta);
        positive("max_message_size", maxMessageSize);
        positive("max_recipients_per_message", maxRecipientsPerMessage);
        positive("max_messages_per_connection", maxMessagesPerConnection);
        positive("line_length_hard_limit", lineLengthHardLimit);
        positive("client_timeout", clientTimeout);
        positive("command_deadline", commandDeadline);
        positive("data_deadline", dataDeadline);
        positive("max_connections_per_ip", maxConnectionsPerIp);
    }

    /** KumoMTA's defaults, with Sluice's banner text. */
    public static EsmtpParams defaults(String hostname) {
        return new EsmtpParams(hostname, DEFAULT_BANNER, DEFAULT_RELAY_HOSTS, DEFAULT_MAX_MESSAGE_SIZE,
                DEFAULT_MAX_RECIPIENTS, DEFAULT_MAX_MESSAGES_PER_CONNECTION, DEFAULT_LINE_LENGTH_HARD_LIMIT,
                InvalidLineEndings.DENY, DEFAULT_CLIENT_TIMEOUT, DEFAULT_DATA_PROCESSING_TIMEOUT, false, Map.of(),
                DEFAULT_COMMAND_DEADLINE, DEFAULT_DATA_DEADLINE, DEFAULT_MAX_CONNECTIONS_PER_IP);
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    private static void positive(String key, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(key + " must be positive");
        }
    }

    public EsmtpParams withHostname(String v) {
        return new EsmtpParams(v, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout,
                dataProcessingTimeout, requireProxyProtocol, meta, commandDeadline, dataDeadline,
                maxConnectionsPerIp);
    }

    public EsmtpParams withRelayHosts(CidrSet v) {
        return new EsmtpParams(hostname, banner, v, maxMessageSize, maxRecipientsPerMessage, maxMessagesPerConnection,
                lineLengthHardLimit, invalidLineEndings, clientTimeout, dataProcessingTimeout, requireProxyProtocol,
                meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withMaxMessageSize(long v) {
        return new EsmtpParams(hostname, banner, relayHosts, v, maxRecipientsPerMessage, maxMessagesPerConnection,
                lineLengthHardLimit, invalidLineEndings, clientTimeout, dataProcessingTimeout, requireProxyProtocol,
                meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withMaxRecipientsPerMessage(int v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, v, maxMessagesPerConnection,
                lineLengthHardLimit, invalidLineEndings, clientTimeout, dataProcessingTimeout, requireProxyProtocol,
                meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withMaxMessagesPerConnection(int v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage, v,
                lineLengthHardLimit, invalidLineEndings, clientTimeout, dataProcessingTimeout, requireProxyProtocol,
                meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withLineLengthHardLimit(int v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, v, invalidLineEndings, clientTimeout, dataProcessingTimeout,
                requireProxyProtocol, meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withInvalidLineEndings(InvalidLineEndings v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, v, clientTimeout, dataProcessingTimeout,
                requireProxyProtocol, meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withClientTimeout(Duration v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, v, dataProcessingTimeout,
                requireProxyProtocol, meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withDataProcessingTimeout(Duration v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout, v,
                requireProxyProtocol, meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withRequireProxyProtocol(boolean v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout,
                dataProcessingTimeout, v, meta, commandDeadline, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withCommandDeadline(Duration v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout,
                dataProcessingTimeout, requireProxyProtocol, meta, v, dataDeadline, maxConnectionsPerIp);
    }

    public EsmtpParams withDataDeadline(Duration v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout,
                dataProcessingTimeout, requireProxyProtocol, meta, commandDeadline, v, maxConnectionsPerIp);
    }

    public EsmtpParams withMaxConnectionsPerIp(int v) {
        return new EsmtpParams(hostname, banner, relayHosts, maxMessageSize, maxRecipientsPerMessage,
                maxMessagesPerConnection, lineLengthHardLimit, invalidLineEndings, clientTimeout,
                dataProcessingTimeout, requireProxyProtocol, meta, commandDeadline, dataDeadline, v);
    }
}
