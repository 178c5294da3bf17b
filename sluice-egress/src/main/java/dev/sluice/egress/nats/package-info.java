/**
 * A NATS client on Netty for {@code kumo.nats.connect} and {@code client:publish} (core and JetStream
 * publications with acknowledgements), {@link dev.sluice.egress.nats.NatsPolicyModule}.
 */
package dev.sluice.egress.nats;
