/**
 * Load tool for bench/egress-bench.sh: delivers pre-built messages to an SMTP sink through Sluice's own
 * egress layer (Connector + SmtpClient), directly or through a proxy, and reports messages per second and
 * CPU per message.
 */
package dev.sluice.bench.egress;
