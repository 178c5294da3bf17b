/**
 * The durable spool of {@code sluice mta}: {@link dev.sluice.mta.spool.Spool} with a RocksDB
 * ({@link dev.sluice.mta.spool.RocksDbSpool}, Sluice's default) and a file-per-message
 * ({@link dev.sluice.mta.spool.LocalDiskSpool}, KumoMTA's default) kind, both group-committing through one
 * writer thread; {@link dev.sluice.mta.spool.FreeSpaceMonitor} for {@code min_free_space} /
 * {@code min_free_inodes}; {@code kumo.define_spool} through {@link dev.sluice.mta.spool.SpoolLuaModule} into
 * {@link dev.sluice.mta.spool.SpoolDefinitions}.
 *
 * <p>Start-up: collect definitions during {@code init}, open {@code Spools.open(definitions.store()
 * .orElse(SpoolDefinitions.defaultStore(dir)), metrics)}, {@code loadAll} into the queues, start a
 * {@code FreeSpaceMonitor(definitions.monitored(dir), metrics, FreeSpaceMonitor.DEFAULT_INTERVAL)}, then the
 * listeners. Ingress answers 250 only when {@code store} completed, and 452 / 503 with
 * {@code monitor.reason()} while {@code monitor.belowThreshold()}.
 */
package dev.sluice.mta.spool;
