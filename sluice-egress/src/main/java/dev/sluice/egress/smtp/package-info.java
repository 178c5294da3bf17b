/**
 * The SMTP client of the delivery path, on Netty, non-blocking.
 *
 * <p>{@link dev.sluice.egress.smtp.SmtpClient#open} takes a channel a Connector already connected (direct,
 * SOCKS5 or HAProxy; empty pipeline, auto-read off), reads the banner, says EHLO (HELO after a 5xx) and does
 * STARTTLS per {@link dev.sluice.egress.smtp.TlsMode} (KumoMTA's enable_tls semantics). The resulting
 * {@link dev.sluice.egress.smtp.SmtpConnection} runs one transaction at a time with
 * {@link dev.sluice.egress.smtp.SmtpConnection#send}, pipelined when advertised and enabled, and turns every
 * outcome into one {@link dev.sluice.egress.smtp.DeliveryResult} per recipient: Delivered, Transient (4xx,
 * timeout, lost connection) or Permanent (5xx, local refusal). Responses the client made up start with
 * "Sluice internal: ".
 *
 * <p>Left to the caller: splitting recipients into max_recipients_per_batch envelopes
 * ({@link dev.sluice.egress.smtp.Envelope#batches}), stopping reuse at max_deliveries_per_connection
 * ({@link dev.sluice.egress.smtp.SmtpConnection#deliveries}), and choosing the next host after a failure.
 */
package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;
