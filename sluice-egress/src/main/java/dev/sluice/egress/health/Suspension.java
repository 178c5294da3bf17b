package dev.sluice.egress.health;

import java.time.Duration;

/** A source's active suspension: why, and how long it still lasts. */
public record Suspension(String source, HealthEvent reason, Duration remaining) {}
