/**
 * Name resolution for delivery: the system's resolver (/etc/hosts first), given name servers, or in-memory
 * test zones, switchable from the policy through {@code kumo.dns.configure_resolver} /
 * {@code configure_test_resolver} ({@link dev.sluice.egress.dns.DnsPolicyModule}, {@link dev.sluice.egress.dns.Resolvers}).
 */
package dev.sluice.egress.dns;
