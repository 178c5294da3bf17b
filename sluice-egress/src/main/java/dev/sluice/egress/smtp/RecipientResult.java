package dev.sluice.egress.smtp;

/** The outcome for one RCPT TO address of an envelope. */
public record RecipientResult(String recipient, DeliveryResult result) {}
