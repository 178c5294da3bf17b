package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Names to addresses and domains to mail exchangers. Futures complete on any thread; a name that does
 * not exist completes exceptionally with {@link java.net.UnknownHostException}, a server failure with
 * {@link DnsFailureException}.
 */
public interface Resolver extends AutoCloseable {

    /** A and/or AAAA addresses of {@code host} as {@code strategy} says; an IP literal resolves to itself. */
    CompletableFuture<List<InetAddress>> addresses(String host, IpLookupStrategy strategy);

    /**
     * MX records sorted by preference (ties keep the server's order). A domain without MX records gets
     * one implicit MX, the domain itself with preference 0 (RFC 5321 section 5.1).
     */
    CompletableFuture<List<MxRecord>> mx(String domain);

    /**
     * The TXT records of {@code name}, each record's character-strings joined into one string; empty when
     * the name exists without TXT records.
     */
    CompletableFuture<List<String>> txt(String name);

    /** The PTR names of {@code ip} (fully qualified, with the trailing dot); empty when there are none. */
    CompletableFuture<List<String>> ptr(InetAddress ip);

    /** Releases sockets and threads, if any. */
    @Override
    default void close() {}
}
