/**
 * Traffic shaping data: {@code kumo.shaping.load} ({@link dev.sluice.egress.shaping.ShapingModule}) merges shaping
 * files into a {@link dev.sluice.egress.shaping.Shaping} object that answers {@code get_egress_path_config} for the
 * {@code policy-extras.shaping} helper and lists the automation rules a log record matches.
 */
package dev.sluice.egress.shaping;
