package dev.sluice.policy.egress;

/** {@code ip_lookup_strategy} of an egress path: which address families of an MX host to use, in what order. */
public enum IpLookupStrategy {
    Ipv4AndIpv6, Ipv4Only, Ipv6Only, Ipv4ThenIpv6, Ipv6ThenIpv4
}
