/**
 * The policy surface of egress: the config records a policy builds with {@code kumo.make_egress_source},
 * {@code make_egress_pool}, {@code make_queue_config}, {@code make_egress_path} (and the legacy
 * {@code define_egress_*}), installed by {@link dev.sluice.policy.egress.EgressPolicyModule}; the
 * {@link dev.sluice.policy.egress.EgressConfigResolver} the egress and MTA layers ask, with per-result
 * ttl caching; {@link dev.sluice.policy.egress.WeightedRoundRobin} source selection; and the suspension
 * rule helpers ({@link dev.sluice.policy.egress.SuspensionRule}, {@link dev.sluice.policy.egress.ThresholdWindow}).
 * Nothing here opens a socket.
 */
package dev.sluice.policy.egress;
