/**
 * {@code sluice tsa}: the traffic shaping automation daemon. MTAs publish delivery log records to it
 * ({@code POST /publish_log_v1}); {@link dev.sluice.tsa.TsaState} evaluates the automation rules of the shaping files
 * against them and keeps the resulting {@link dev.sluice.tsa.TsaItem}s (persisted by a {@link dev.sluice.tsa.TsaStore})
 * until they expire; {@link dev.sluice.tsa.TsaDaemon} serves them over KumoMTA's TSA protocol.
 */
package dev.sluice.tsa;
