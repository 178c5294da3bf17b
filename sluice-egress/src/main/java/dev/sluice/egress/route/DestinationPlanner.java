package dev.sluice.egress.route;

import dev.sluice.egress.dns.MxRecord;
import dev.sluice.egress.dns.Resolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.MxHost;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where a domain's mail goes: the {@code mx_list} when the queue has one, else the MX records, each host
 * resolved per {@code ip_lookup_strategy}, in preference order, without {@code skip_hosts} and
 * {@code prohibited_hosts}. The port is the source's {@code remote_port}, else the mx_list entry's, else
 * the path's {@code smtp_port}.
 */
public final class DestinationPlanner {
    private final Supplier<Resolver> resolver;

    public DestinationPlanner(Supplier<Resolver> resolver) {
        this.resolver = resolver;
    }

    /**
     * One address to try.
     *
     * @param mxName the MX or mx_list entry it came from (for logs: peer_address {name, addr})
     * @param host   the host name that was resolved (for TLS: SNI and certificate name)
     */
    public record Destination(String mxName, String host, InetSocketAddress address) {}

    /**
     * @param siteName     what delivery is grouped by: the sorted MX host names, or {@code mx_list:<names>}
     * @param destinations addresses to try in order
     * @param prohibited   addresses dropped because they are in prohibited_hosts
     * @param lookupErrors hosts that did not resolve, with the reason ("mx1.example.com: NXDOMAIN")
     */
    public record Plan(String siteName, EgressPath path, List<Destination> destinations,
                       List<InetSocketAddress> prohibited, List<String> lookupErrors) {
        /** Text of the permanent failure when every address was prohibited (KumoMTA: 550 5.4.4). */
        public String prohibitedText() {
            return "MX for the destination resolves only to prohibited hosts " + prohibited
                    + " (see prohibited_hosts in get_egress_path_config)";
        }
    }

    public CompletableFuture<Plan> plan(String domain, List<MxHost> mxList, EgressPath path, OptionalInt remotePort) {
        return plan(domain, mxList, site -> CompletableFuture.completedFuture(path), remotePort);
    }

    /**
     * @param pathForSite the egress path for the site (KumoMTA keys path config by site, which is known only
     *                    once the MX hosts are): may call into the policy, so it runs where the caller says
     */
    public CompletableFuture<Plan> plan(String domain, List<MxHost> mxList,
                                        Function<String, CompletableFuture<EgressPath>> pathForSite,
                                        OptionalInt remotePort) {
        CompletableFuture<List<Host>> hosts = mxList.isEmpty()
                ? resolver.get().mx(domain).thenApply(records -> records.stream()
                        .map(MxRecord::exchange).map(h -> new Host(h, h, OptionalInt.empty())).toList())
                : CompletableFuture.completedFuture(mxList.stream()
                        .map(m -> new Host(m.name(), m.host(), m.port())).toList());
        return hosts.thenCompose(list -> {
            String site = siteName(list, !mxList.isEmpty());
            return pathForSite.apply(site).thenCompose(path -> resolveAll(list, path, remotePort, site));
        });
    }

    /** {@code mx_list:a,b} for an mx_list, else the MX host names, sorted and lower-cased. */
    private static String siteName(List<Host> hosts, boolean fromMxList) {
        if (fromMxList) {
            return "mx_list:" + String.join(",", hosts.stream().map(Host::name).toList());
        }
        return mxSiteName(hosts.stream().map(Host::name).toList());
    }

    /** The site of a domain whose MX hosts are {@code mxHosts}: the names lower-cased, sorted, joined by commas. */
    public static String mxSiteName(java.util.Collection<String> mxHosts) {
        return String.join(",", new TreeSet<>(mxHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList()));
    }

    private record Host(String name, String host, OptionalInt port) {}

    private CompletableFuture<Plan> resolveAll(List<Host> hosts, EgressPath path, OptionalInt remotePort, String site) {
        List<CompletableFuture<List<InetAddress>>> lookups = hosts.stream()
                .map(h -> resolver.get().addresses(h.host(), path.ipLookupStrategy()))
                .toList();
        // one unresolvable MX host does not sink the others: wait for all, failed or not
        var settled = lookups.stream().map(f -> f.handle((ok, e) -> ok)).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(settled).thenApply(ignored -> {
            var destinations = new ArrayList<Destination>();
            var prohibited = new ArrayList<InetSocketAddress>();
            var errors = new ArrayList<String>();
            for (int i = 0; i < hosts.size(); i++) {
                Host h = hosts.get(i);
                int port = remotePort.isPresent() ? remotePort.getAsInt()
                        : h.port().orElse(path.smtpPort());
                List<InetAddress> addresses;
                try {
                    addresses = lookups.get(i).join();
                } catch (java.util.concurrent.CompletionException e) {
                    errors.add(h.host() + ": " + (e.getCause() == null ? e : e.getCause()).getMessage());
                    continue;
                }
                for (InetAddress a : addresses) {
                    var address = new InetSocketAddress(a, port);
                    if (path.skipHosts().contains(a)) {
                        continue;
                    }
                    if (path.prohibitedHosts().contains(a)) {
                        prohibited.add(address);
                        continue;
                    }
                    destinations.add(new Destination(h.name(), h.host(), address));
                }
            }
            return new Plan(site, path, List.copyOf(destinations), List.copyOf(prohibited), List.copyOf(errors));
        });
    }
}
