/**
 * Delivery of ready messages: {@link dev.sluice.mta.dispatch.SmtpDispatch} implements the queue layer's
 * {@link dev.sluice.mta.queue.Dispatch} with one ready queue per (egress source, site), each carried by up to
 * {@code connection_limit} reusable SMTP connections through the egress layer (direct, SOCKS5, HAProxy).
 */
package dev.sluice.mta.dispatch;
